package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password HashPassword accepts, in characters.
const MinPasswordLength = 10

var (
	// ErrPasswordTooShort is returned by HashPassword for a password shorter
	// than MinPasswordLength characters.
	ErrPasswordTooShort = fmt.Errorf("password is shorter than %d characters", MinPasswordLength)
	// ErrPasswordTooLong is returned by HashPassword for a password over 72
	// bytes: bcrypt ignores everything after that, so accepting it would
	// silently weaken the password.
	ErrPasswordTooLong = errors.New("password is longer than 72 bytes")
)

// HashPassword returns a bcrypt hash of pw for storing in model.Moderator.PasswordHash.
func HashPassword(pw string) (string, error) {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return "", ErrPasswordTooShort
	}
	if len(pw) > 72 {
		return "", ErrPasswordTooLong
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether pw matches hash. A malformed hash never matches.
func CheckPassword(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// dummyHash is compared against when a login names an unknown moderator, so
// that answer takes as long as a wrong password and does not reveal which
// names exist. Its password is random and thrown away.
var dummyHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), bcrypt.DefaultCost)
	if err != nil {
		// Only possible for an invalid cost or an over-long password, neither of which applies.
		panic(fmt.Sprintf("auth: dummy hash: %v", err))
	}
	return string(h)
})

// passwordAlphabet leaves out characters people confuse when reading a
// password aloud or copying it from paper (0/o, 1/l/i).
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// GeneratePassword returns a random password of four groups of five
// characters separated by dashes (about 99 bits), for new accounts and resets.
func GeneratePassword() string {
	var b strings.Builder
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range 20 {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			// crypto/rand does not fail on supported platforms (Go 1.24+ crashes the program instead).
			panic(fmt.Sprintf("auth: random password: %v", err))
		}
		b.WriteByte(passwordAlphabet[n.Int64()])
	}
	return b.String()
}
