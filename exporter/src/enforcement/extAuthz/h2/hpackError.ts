/**
 * A header block that cannot be decoded. HPACK state is shared by the whole connection, so after this the
 * connection ends with COMPRESSION_ERROR (RFC 9113 section 4.3).
 */
export class HpackError extends Error {}
