package inbound

// TrustedMediaURL exposes trustedMediaURL to the package's tests.
var TrustedMediaURL = trustedMediaURL
