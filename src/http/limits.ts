/** Size limits of a request (README "Reliability, security and limits"). */

/** A body over this gets 413. */
export const BODY_LIMIT_BYTES = 1_048_576;

/**
 * Request line and headers together (Node's maxHeaderSize counts both): over this, 431. It also
 * bounds the path parameters.
 */
export const MAX_HEADER_BYTES = 16_384;
