/** pgwarden's version, recorded in every manifest. */
import { packageRoot } from './package-root';

export const PGWARDEN_VERSION: string = packageRoot.version;
