//go:build windows

package trust

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
)

// crypt32 is the real LocalMachine\ROOT store.
type crypt32 struct{}

func windowsCertAPI() winCertAPI { return crypt32{} }

func openRoot(readOnly bool) (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString("ROOT")
	if err != nil {
		return 0, err
	}
	flags := uint32(windows.CERT_SYSTEM_STORE_LOCAL_MACHINE)
	if readOnly {
		flags |= windows.CERT_STORE_READONLY_FLAG
	}
	h, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0, flags, uintptr(unsafe.Pointer(name)))
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", winStoreName, err)
	}
	return h, nil
}

func contextDER(c *windows.CertContext) []byte {
	return append([]byte(nil), unsafe.Slice(c.EncodedCert, c.Length)...)
}

// List returns every certificate in the store that parses.
func (crypt32) List() ([]*x509.Certificate, error) {
	st, err := openRoot(true)
	if err != nil {
		return nil, err
	}
	defer windows.CertCloseStore(st, 0)
	var out []*x509.Certificate
	var c *windows.CertContext
	for {
		c, err = windows.CertEnumCertificatesInStore(st, c)
		if err != nil || c == nil {
			break
		}
		if cert, perr := x509.ParseCertificate(contextDER(c)); perr == nil {
			out = append(out, cert)
		}
	}
	return out, nil
}

// Add adds the DER certificate; one already there is not an error.
func (crypt32) Add(der []byte) error {
	st, err := openRoot(false)
	if err != nil {
		return err
	}
	defer windows.CertCloseStore(st, 0)
	ctx, err := windows.CertCreateCertificateContext(windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING, &der[0], uint32(len(der)))
	if err != nil {
		return fmt.Errorf("parse the CA for crypt32: %w", err)
	}
	defer windows.CertFreeCertificateContext(ctx)
	err = windows.CertAddCertificateContextToStore(st, ctx, windows.CERT_STORE_ADD_NEW, nil)
	if errors.Is(err, windows.Errno(windows.CRYPT_E_EXISTS)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("add to %s: %w (run from an elevated prompt)", winStoreName, err)
	}
	return nil
}

// Delete removes every certificate with the SHA-1 thumbprint.
func (crypt32) Delete(thumb string) error {
	st, err := openRoot(false)
	if err != nil {
		return err
	}
	defer windows.CertCloseStore(st, 0)
	var c *windows.CertContext
	for {
		c, err = windows.CertEnumCertificatesInStore(st, c)
		if err != nil || c == nil {
			return nil
		}
		sum := sha1.Sum(contextDER(c))
		if !strings.EqualFold(hex.EncodeToString(sum[:]), thumb) {
			continue
		}
		// Deleting frees the context it is given: delete a duplicate so
		// the enumeration can go on from c.
		if err := windows.CertDeleteCertificateFromStore(windows.CertDuplicateCertificateContext(c)); err != nil {
			windows.CertFreeCertificateContext(c)
			return fmt.Errorf("delete sha1 %s from %s: %w (run from an elevated prompt)", thumb, winStoreName, err)
		}
	}
}

// firefoxProfileRoots holds Firefox profiles under %USERPROFILE%.
var firefoxProfileRoots = []string{`AppData\Roaming\Mozilla\Firefox\Profiles`}
