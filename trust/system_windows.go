//go:build windows

package trust

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
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

// certEnhKeyUsagePropID is CERT_ENHKEY_USAGE_PROP_ID (wincrypt.h): the
// extended key usages the store allows for a certificate, encoded as
// X509_ENHANCED_KEY_USAGE.
const certEnhKeyUsagePropID = 9

// crypt32 calls golang.org/x/sys/windows does not wrap.
var (
	modCrypt32                            = windows.NewLazySystemDLL("crypt32.dll")
	procCertSetCertificateContextProperty = modCrypt32.NewProc("CertSetCertificateContextProperty")
	procCertGetCertificateContextProperty = modCrypt32.NewProc("CertGetCertificateContextProperty")
)

// setUsage sets the certificate's CERT_ENHKEY_USAGE_PROP_ID in its store.
func setUsage(c *windows.CertContext, usage []byte) error {
	blob := windows.CryptDataBlob{Size: uint32(len(usage)), Data: &usage[0]}
	r, _, err := procCertSetCertificateContextProperty.Call(uintptr(unsafe.Pointer(c)), certEnhKeyUsagePropID, 0, uintptr(unsafe.Pointer(&blob)))
	if r == 0 {
		return fmt.Errorf("CertSetCertificateContextProperty CERT_ENHKEY_USAGE_PROP_ID: %w", err)
	}
	return nil
}

// getUsage reads the certificate's CERT_ENHKEY_USAGE_PROP_ID (nil when it
// is not set).
func getUsage(c *windows.CertContext) []byte {
	var n uint32
	r, _, _ := procCertGetCertificateContextProperty.Call(uintptr(unsafe.Pointer(c)), certEnhKeyUsagePropID, 0, uintptr(unsafe.Pointer(&n)))
	if r == 0 || n == 0 {
		return nil
	}
	buf := make([]byte, n)
	r, _, _ = procCertGetCertificateContextProperty.Call(uintptr(unsafe.Pointer(c)), certEnhKeyUsagePropID, uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)))
	if r == 0 {
		return nil
	}
	return buf[:n]
}

// List returns every certificate in the store that parses, with its EKU
// property.
func (crypt32) List() ([]winCert, error) {
	st, err := openRoot(true)
	if err != nil {
		return nil, err
	}
	defer windows.CertCloseStore(st, 0)
	var out []winCert
	var c *windows.CertContext
	for {
		c, err = windows.CertEnumCertificatesInStore(st, c)
		if err != nil || c == nil {
			break
		}
		if cert, perr := x509.ParseCertificate(contextDER(c)); perr == nil {
			out = append(out, winCert{Cert: cert, Usage: getUsage(c)})
		}
	}
	return out, nil
}

// Add adds the DER certificate (or takes the one already in the store) and
// limits it to the extended key usages in usage.
func (crypt32) Add(der, usage []byte) error {
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
	var inStore *windows.CertContext
	err = windows.CertAddCertificateContextToStore(st, ctx, windows.CERT_STORE_ADD_USE_EXISTING, &inStore)
	if err != nil {
		return fmt.Errorf("add to %s: %w (run from an elevated prompt)", winStoreName, err)
	}
	defer windows.CertFreeCertificateContext(inStore)
	if err := setUsage(inStore, usage); err != nil {
		return fmt.Errorf("limit the CA in %s to server and client authentication: %w (run from an elevated prompt)", winStoreName, err)
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
