/**
 * What an escalation matrix may be called (ESCALATION_MATRICES, and the matrix a stand-in or a
 * handover note names): lower-case letters and digits, since the name is also part of variable
 * names (ESCALATION_<NAME>_L1_EMAIL). Free of Node modules: the roster workflow's bundle checks
 * with it.
 */
export const MATRIX_NAME = /^[a-z][a-z0-9]*$/;
