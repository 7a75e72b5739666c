// Package pki is esbtui's certificate authority: the root CA (created once,
// name-constrained to local names, never overwritten), the server
// certificate it signs, the on-disk store (locking, atomic writes, modes,
// ownership), inspection (expiry, names, key match, chain) and the CA-name
// policy that keeps a leaked key useless against public sites.
package pki
