// A Go peer of authd's /auth/forward for bench/forward_auth.sh --go: net/http, HS256 with the
// standard library (header bytes compared, HMAC in constant time, exp and token_type checked,
// identity headers). It keeps no revocation state, so it does less than authd does.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

const header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

type claims struct {
	TokenType string `json:"token_type"`
	Exp       int64  `json:"exp"`
	UserID    int64  `json:"user_id"`
	Username  string `json:"username"`
	Role      string `json:"role"`
}

func main() {
	key := []byte(os.Getenv("AUTHD_SECRET_KEY"))
	listen := os.Getenv("GO_FORWARD_LISTEN")
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "Bearer ") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		parts := strings.Split(auth[7:], ".")
		ok := len(parts) == 3 && parts[0] == header
		var c claims
		if ok {
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte(parts[0] + "." + parts[1]))
			sig, err := base64.RawURLEncoding.DecodeString(parts[2])
			payload, err2 := base64.RawURLEncoding.DecodeString(parts[1])
			ok = err == nil && err2 == nil && hmac.Equal(sig, mac.Sum(nil)) &&
				json.Unmarshal(payload, &c) == nil && c.TokenType == "access" &&
				c.Exp > time.Now().Unix()
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Auth-User-Id", strconv.FormatInt(c.UserID, 10))
		w.Header().Set("X-Auth-Username", c.Username)
		w.Header().Set("X-Auth-Role", c.Role)
		w.Header().Set("Remote-User", c.Username)
		w.WriteHeader(http.StatusOK)
	})
	log.Fatal(http.ListenAndServe(listen, nil))
}
