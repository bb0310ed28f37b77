/** Every workflow the pgwarden worker runs. This folder is bundled for the workflow sandbox. */
export { PreflightWorkflow } from './preflight';
