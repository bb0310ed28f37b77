/** Every workflow the pgwarden worker runs. This folder is bundled for the workflow sandbox. */
export { BackupWorkflow } from './backup';
export { PreflightWorkflow } from './preflight';
