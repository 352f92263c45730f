// Helpers of the signing-key tests (issue 15): an EdDSA authd with a superuser, the outside
// verifiers (PyJWT, jose) run on a token list, and tokens forged the ways attackers try.
#pragma once
#include <sodium.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/api_client.hpp"
#include "tests/integration/auth_v1_support.hpp"
#include "tests/integration/harness.hpp"

namespace authd::test {

using v1::b64_decode;
using v1::b64url_encode;
using v1::CommandResult;
using v1::make_jwt;
using v1::run_authd;
using v1::split_jwt;

inline constexpr const char* kKeysAdmin = "keysadmin";
inline constexpr const char* kKeysAdminPassword = "Granite-Osprey-Meadow-31";

inline std::map<std::string, std::string> eddsa_env(std::string_view alg = "EdDSA") {
    return {{"AUTHD_JWT_ALG", std::string(alg)},
            {"AUTHD_ARGON2_OPS", "1"},
            {"AUTHD_ARGON2_MEMORY_KIB", "1024"},
            {"AUTHD_SUPERUSER_USERNAME", kKeysAdmin},
            {"AUTHD_SUPERUSER_EMAIL", std::string(kKeysAdmin) + "@example.com"},
            {"AUTHD_SUPERUSER_PASSWORD", kKeysAdminPassword}};
}

inline std::string base_url(int port) {
    return "http://127.0.0.1:" + std::to_string(port);
}

// Output lines of `argv` (run through /usr/bin/timeout 60, stderr to stdout).
inline std::vector<std::string> run_lines(const std::vector<std::string>& argv) {
    std::string cmd = "/usr/bin/timeout 60";
    for (const std::string& a : argv) cmd += " '" + a + "'";  // our arguments hold no quote
    cmd += " 2>&1";
    std::vector<std::string> lines;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return lines;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) {
        std::string line(buf);
        while (!line.empty() && line.back() == '\n') line.pop_back();
        lines.push_back(line);
    }
    ::pclose(p);
    return lines;
}

// PyJWT's PyJWKClient on the JWKS of `port`: one "ok <kid> <user_id>" / "refused <why>" per token.
inline std::vector<std::string> pyjwt_verify(int port, const std::vector<std::string>& tokens) {
    std::vector<std::string> argv{
        "/usr/bin/python3", std::string(AUTHD_SOURCE_DIR) + "/tests/integration/jwks_verify.py",
        base_url(port) + "/.well-known/jwks.json", base_url(port)};
    argv.insert(argv.end(), tokens.begin(), tokens.end());
    return run_lines(argv);
}

inline std::string jose_dir() {
    return std::string(AUTHD_SOURCE_DIR) + "/build/npm/node_modules/jose";
}

// jose's createRemoteJWKSet on the JWKS of `port`, same output.
inline std::vector<std::string> jose_verify(int port, const std::vector<std::string>& tokens) {
    std::vector<std::string> argv{
        "/usr/bin/node", std::string(AUTHD_SOURCE_DIR) + "/tests/integration/jwks_verify.cjs",
        jose_dir(), base_url(port) + "/.well-known/jwks.json", base_url(port)};
    argv.insert(argv.end(), tokens.begin(), tokens.end());
    return run_lines(argv);
}

// The value of "name":"..." in flat JSON, or "".
inline std::string json_string_field(std::string_view json, std::string_view name) {
    const std::string key = "\"" + std::string(name) + "\":\"";
    const size_t at = json.find(key);
    if (at == std::string_view::npos) return {};
    const size_t end = json.find('"', at + key.size());
    return std::string(json.substr(at + key.size(), end - at - key.size()));
}

// header.payload signed with a fresh Ed25519 key that authd never published.
inline std::string sign_with_unknown_ed25519(std::string_view header_json,
                                             std::string_view payload_json) {
    if (sodium_init() < 0) return {};
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    const std::string input = b64url_encode(header_json) + "." + b64url_encode(payload_json);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(input.data()),
                         input.size(), sk);
    return input + "." + b64url_encode(std::string(reinterpret_cast<char*>(sig), sizeof sig));
}

inline int validate_status(int port, std::string_view token) {
    return request(port, "POST", "/api/auth/users/validate-token/",
                   "{\"token\":\"" + std::string(token) + "\"}")
        .status;
}

}  // namespace authd::test
