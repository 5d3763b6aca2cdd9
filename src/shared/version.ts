/** Atelier's version, written into PNG metadata; a test keeps it equal to package.json's. */
export const ATELIER_VERSION = '0.1.0';
