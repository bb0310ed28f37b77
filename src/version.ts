/** pgwarden's version, recorded in every manifest. */
import { version } from '../package.json';

export const PGWARDEN_VERSION: string = version;
