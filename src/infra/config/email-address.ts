/**
 * What pgwarden takes as an e-mail address wherever one is read (the configuration's recipients
 * and rotations, a stand-in, the console's form): one rule, so that an address taken in one place
 * is not refused in another. Loose on purpose: something@something without spaces or commas (a
 * comma separates a list); the mail server is the judge of the rest. Free of Node modules: the
 * roster workflow's bundle checks stand-ins with it.
 */
export const EMAIL_ADDRESS = /^[^\s@,]+@[^\s@,]+$/;
