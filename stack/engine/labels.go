package engine

// TrustBundleLabel is set on opted-in services to the bundle's SHA-256, so
// that Compose recreates their containers when the CA changes (a bind mount
// keeps the replaced file's old content).
const TrustBundleLabel = "esb.trust.bundle"
