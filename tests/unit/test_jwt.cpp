// tests/unit/test_jwt.cpp — JwtCodec against tokens produced by PyJWT 2.6 (fixtures generated
// once with /usr/bin/python3 and hard-coded below): encode, verify, refusals, bounds. The claims
// JSON and HMAC tests are in test_jwt_claims.cpp.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "auth/hmac_sha256.hpp"
#include "auth/jwt.hpp"
#include "tests/unit/jwt_test_support.hpp"

namespace authd::auth {
namespace {

using namespace jwt_testing;

constexpr std::string_view kKey = "django-insecure-authd-fixture-key-0123456789";
constexpr int64_t kNow = 1700000100;

// jwt.encode(claims, kKey, algorithm=...) with claims = {"token_type": "access", "exp": 4102444800,
// "iat": 1700000000, "jti": "0123456789abcdef0123456789abcdef", "user_id": 42, "username": "alice",
// "role": "user", "sid": "sess-1", "tv": 3} unless noted.
constexpr std::string_view kPyAccess =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjAxMjM0NT"
    "Y3ODlhYmNkZWYw"
    "MTIzNDU2Nzg5YWJjZGVmIiwidXNlcl9pZCI6NDIsInVzZXJuYW1lIjoiYWxpY2UiLCJyb2xlIjoidXNlciIsInNpZCI6In"
    "Nlc3MtMSIsInR2"
    "IjozfQ.Iv5hsF7sVV6Hx4EH-iViR6vyeoaEGg8R-L8ub4u2rXk";
// token_type "refresh", exp 4102531200, jti "fedcba9876543210fedcba9876543210".
constexpr std::string_view kPyRefresh =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6NDEwMjUzMTIwMCwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiJmZWRjYm"
    "E5ODc2NTQzMjEw"
    "ZmVkY2JhOTg3NjU0MzIxMCIsInVzZXJfaWQiOjQyLCJ1c2VybmFtZSI6ImFsaWNlIiwicm9sZSI6InVzZXIiLCJzaWQiOi"
    "JzZXNzLTEiLCJ0"
    "diI6M30.qotcuJJXMcHYXlPKBSRUWMUBjOuukgjBEK_WqugKAwE";
// username "Zoë 😀 \"q\"\\/\t\x7f\x01中" (json.dumps escapes all of it to ASCII).
constexpr std::string_view kPyUnicode =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjAxMjM0NT"
    "Y3ODlhYmNkZWYw"
    "MTIzNDU2Nzg5YWJjZGVmIiwidXNlcl9pZCI6NDIsInVzZXJuYW1lIjoiWm9cdTAwZWIgXHVkODNkXHVkZTAwIFwicVwiXF"
    "wvXHRcdTAwN2Zc"
    "dTAwMDFcdTRlMmQiLCJyb2xlIjoidXNlciIsInNpZCI6InNlc3MtMSIsInR2IjozfQ."
    "Sq9AUZoNVjPGpUF0ezm8bMSonmy8Sj5tbpKR7CD96wo";
// Extra claims "aud": ["a", "b"], "nested": {"x": [1, 2500.0, null, true, false]} after the usual
// ones.
constexpr std::string_view kPyExtraClaims =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjAxMjM0NT"
    "Y3ODlhYmNkZWYw"
    "MTIzNDU2Nzg5YWJjZGVmIiwidXNlcl9pZCI6NDIsInVzZXJuYW1lIjoiYWxpY2UiLCJyb2xlIjoidXNlciIsInNpZCI6In"
    "Nlc3MtMSIsInR2"
    "IjozLCJhdWQiOlsiYSIsImIiXSwibmVzdGVkIjp7IngiOlsxLDI1MDAuMCxudWxsLHRydWUsZmFsc2VdfX0."
    "3Sn-14U8_K7c-u7KuWbA2e9qWfZXptzXRskjQUSm4SU";
// algorithm="none" (key None): header {"alg":"none","typ":"JWT"}, empty signature.
constexpr std::string_view kPyNone =
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjAxMjM0NT"
    "Y3ODlhYmNkZWYw"
    "MTIzNDU2Nzg5YWJjZGVmIiwidXNlcl9pZCI6NDIsInVzZXJuYW1lIjoiYWxpY2UiLCJyb2xlIjoidXNlciIsInNpZCI6In"
    "Nlc3MtMSIsInR2"
    "IjozfQ.";
constexpr std::string_view kPyHs512 =
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjAxMjM0NT"
    "Y3ODlhYmNkZWYw"
    "MTIzNDU2Nzg5YWJjZGVmIiwidXNlcl9pZCI6NDIsInVzZXJuYW1lIjoiYWxpY2UiLCJyb2xlIjoidXNlciIsInNpZCI6In"
    "Nlc3MtMSIsInR2"
    "IjozfQ._o2sswSVXaE6EbzHHZqMHt4CRYDMEKsHaOCU8l54cjvKyjzt4uaEDVZ-DSVIKeFTGvgZwMSQ3dLgOqAzzv3TIA";
constexpr std::string_view kPyHs384 =
    "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjAxMjM0NT"
    "Y3ODlhYmNkZWYw"
    "MTIzNDU2Nzg5YWJjZGVmIiwidXNlcl9pZCI6NDIsInVzZXJuYW1lIjoiYWxpY2UiLCJyb2xlIjoidXNlciIsInNpZCI6In"
    "Nlc3MtMSIsInR2"
    "IjozfQ.pqKHuax9t-43RbWvbEzCIZFMBoHQhMWtPUzHWf5H3jicsafRHZ6yyNlo-DktK4bb";
// Correctly HS256-signed with kKey, but header {"alg": "HS256", "typ": "JWT"} (json.dumps default
// spacing).
constexpr std::string_view kSpacedHeader =
    "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjAxMjM0NT"
    "Y3ODlhYmNkZWYw"
    "MTIzNDU2Nzg5YWJjZGVmIiwidXNlcl9pZCI6NDIsInVzZXJuYW1lIjoiYWxpY2UiLCJyb2xlIjoidXNlciIsInNpZCI6In"
    "Nlc3MtMSIsInR2"
    "IjozfQ.8zTAjJbOSZNgGDVFIdjUQ1KeCn5i5E9MkHnXxljozdo";
// Correctly HS256-signed with kKey, header {"typ":"JWT","alg":"HS256"} (the order PyJWT < 2.4
// wrote).
constexpr std::string_view kReorderedHeader =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjAxMjM0NT"
    "Y3ODlhYmNkZWYw"
    "MTIzNDU2Nzg5YWJjZGVmIiwidXNlcl9pZCI6NDIsInVzZXJuYW1lIjoiYWxpY2UiLCJyb2xlIjoidXNlciIsInNpZCI6In"
    "Nlc3MtMSIsInR2"
    "IjozfQ.sXivVxga9Rc1DUg9cxDQHmqgZMprzrIlEdgztvS3Jq0";
// Key "k" * 100 (longer than the SHA-256 block, so HMAC hashes it first); user_id 7, username
// "bob", role "admin", sid "s", tv 0, other claims as above.
constexpr std::string_view kPyLongKey =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjAxMjM0NT"
    "Y3ODlhYmNkZWYw"
    "MTIzNDU2Nzg5YWJjZGVmIiwidXNlcl9pZCI6NywidXNlcm5hbWUiOiJib2IiLCJyb2xlIjoiYWRtaW4iLCJzaWQiOiJzIi"
    "widHYiOjB9."
    "fT3OE567OZhp3KRagH3bduze1t2r__0cumqvYkBWChs";

// A correctly signed token around any payload bytes, to reach the claims parser with hostile JSON.
std::string sign_raw(std::string_view payload_json, std::string_view key = kKey,
                     std::string_view header = JwtCodec::encoded_header) {
    std::string token(header);
    token += '.';
    token += base64url_encode(payload_json);
    const HmacSha256::Digest mac = HmacSha256(key).mac(token);
    token += '.';
    token +=
        base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
    return token;
}

class JwtTest : public ::testing::Test {
  protected:
    JwtError verify(std::string_view token, int64_t now = kNow) {
        return codec_.verify(token, now, view_, *scratch_);
    }

    JwtCodec codec_{kKey};
    std::unique_ptr<JwtScratch> scratch_ = std::make_unique<JwtScratch>();
    ClaimsView view_;
};

// ---- JwtCodec ----

TEST_F(JwtTest, EncodeIsByteIdenticalToPyJwt) {
    EXPECT_EQ(codec_.encode(fixture_claims()), kPyAccess);
    Claims refresh = fixture_claims();
    refresh.token_type = TokenType::refresh;
    refresh.exp = 4102531200;
    refresh.jti = "fedcba9876543210fedcba9876543210";
    EXPECT_EQ(codec_.encode(refresh), kPyRefresh);
    Claims unicode = fixture_claims();
    unicode.username = std::string(kUnicodeUsername);
    EXPECT_EQ(codec_.encode(unicode), kPyUnicode);
    Claims bob = fixture_claims();
    bob.user_id = 7;
    bob.username = "bob";
    bob.role = "admin";
    bob.sid = "s";
    bob.tv = 0;
    EXPECT_EQ(JwtCodec(std::string(100, 'k')).encode(bob), kPyLongKey);
}

TEST_F(JwtTest, VerifiesPyJwtAccessToken) {
    ASSERT_EQ(verify(kPyAccess), JwtError::ok);
    EXPECT_EQ(view_.token_type, TokenType::access);
    EXPECT_EQ(view_.exp, 4102444800);
    EXPECT_EQ(view_.iat, 1700000000);
    EXPECT_EQ(view_.jti, "0123456789abcdef0123456789abcdef");
    EXPECT_EQ(view_.user_id, 42);
    EXPECT_EQ(view_.username, "alice");
    EXPECT_EQ(view_.role, "user");
    EXPECT_EQ(view_.sid, "sess-1");
    EXPECT_EQ(view_.tv, 3u);
}

TEST_F(JwtTest, SurfacesRefreshTokenType) {
    ASSERT_EQ(verify(kPyRefresh), JwtError::ok);
    EXPECT_EQ(view_.token_type, TokenType::refresh);
    EXPECT_EQ(view_.jti, "fedcba9876543210fedcba9876543210");
    EXPECT_EQ(view_.exp, 4102531200);
}

TEST_F(JwtTest, VerifiesUnicodeAndExtraClaimsAndLongKey) {
    ASSERT_EQ(verify(kPyUnicode), JwtError::ok);
    EXPECT_EQ(view_.username, kUnicodeUsername);
    ASSERT_EQ(verify(kPyExtraClaims), JwtError::ok);
    EXPECT_EQ(view_.username, "alice");
    EXPECT_EQ(view_.tv, 3u);
    ClaimsView view;
    ASSERT_EQ(JwtCodec(std::string(100, 'k')).verify(kPyLongKey, kNow, view, *scratch_),
              JwtError::ok);
    EXPECT_EQ(view.role, "admin");
}

TEST_F(JwtTest, RoundTripsOwnTokens) {
    Claims c = fixture_claims();
    c.jti = new_token_id();
    c.username = "\xe5\xb1\xb1\xe7\x94\xb0 \"x\"";
    c.exp = kNow + 300;
    ASSERT_EQ(verify(codec_.encode(c)), JwtError::ok);
    EXPECT_EQ(to_claims(view_).username, c.username);
    EXPECT_EQ(view_.jti, c.jti);
}

TEST_F(JwtTest, ScratchIsReusedAcrossTokens) {
    ASSERT_EQ(verify(kPyUnicode), JwtError::ok);
    ASSERT_EQ(verify(kPyRefresh), JwtError::ok);
    EXPECT_EQ(view_.username, "alice");
    EXPECT_EQ(view_.token_type, TokenType::refresh);
    ASSERT_EQ(verify(kPyUnicode), JwtError::ok);
    EXPECT_EQ(view_.username, kUnicodeUsername);
}

TEST_F(JwtTest, ExpiresAtExp) {
    Claims c = fixture_claims();
    c.exp = kNow + 1;
    const std::string token = codec_.encode(c);
    EXPECT_EQ(verify(token, kNow), JwtError::ok);
    EXPECT_EQ(verify(token, kNow + 1), JwtError::expired);  // PyJWT: expired once exp <= now
    EXPECT_EQ(verify(token, kNow + 100000), JwtError::expired);
    EXPECT_EQ(verify(kPyAccess, 4102444799), JwtError::ok);
    EXPECT_EQ(verify(kPyAccess, 4102444800), JwtError::expired);
}

TEST_F(JwtTest, RefusesOtherAlgorithmsAndHeaders) {
    EXPECT_EQ(verify(kPyNone), JwtError::bad_header);
    EXPECT_EQ(verify(kPyHs512), JwtError::bad_header);
    EXPECT_EQ(verify(kPyHs384), JwtError::bad_header);
    EXPECT_EQ(verify(kSpacedHeader), JwtError::bad_header);
    EXPECT_EQ(verify(kReorderedHeader), JwtError::bad_header);
    // "alg":"none" with a payload otherwise ours, and a correct HS256 MAC over it, still fails.
    const std::string none_header = base64url_encode(R"({"alg":"none","typ":"JWT"})");
    EXPECT_EQ(verify(sign_raw(fixture_json(), kKey, none_header)), JwtError::bad_header);
    EXPECT_EQ(verify(sign_raw(fixture_json(), kKey, base64url_encode(R"({"alg":"HS256"})"))),
              JwtError::bad_header);
    EXPECT_EQ(verify(sign_raw(fixture_json(), kKey, "")), JwtError::bad_header);
    EXPECT_EQ(verify(sign_raw(fixture_json())), JwtError::ok);
}

TEST_F(JwtTest, RefusesTamperedTokens) {
    const std::string token(kPyAccess);
    const std::size_t first_dot = token.find('.');
    const std::size_t second_dot = token.rfind('.');
    // Flip every payload and signature character in turn.
    for (std::size_t i = first_dot + 1; i < token.size(); ++i) {
        if (i == second_dot) continue;
        std::string tampered = token;
        tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
        EXPECT_EQ(verify(tampered), JwtError::bad_signature) << i;
    }
    // A payload swapped in from another valid token keeps the old signature: refused.
    const std::string other = codec_.encode([] {
        Claims c = fixture_claims();
        c.role = "admin";
        return c;
    }());
    const std::string spliced = token.substr(0, first_dot) +
                                other.substr(first_dot, other.rfind('.') - first_dot) +
                                token.substr(second_dot);
    EXPECT_EQ(verify(spliced), JwtError::bad_signature);
    EXPECT_EQ(verify(token.substr(0, second_dot + 1)),
              JwtError::bad_signature);  // signature stripped
    EXPECT_EQ(verify(token + "A"), JwtError::bad_signature);
    EXPECT_EQ(verify(token.substr(0, token.size() - 1)), JwtError::bad_signature);
}

TEST_F(JwtTest, RefusesOtherKeys) {
    ClaimsView view;
    EXPECT_EQ(JwtCodec("another-secret").verify(kPyAccess, kNow, view, *scratch_),
              JwtError::bad_signature);
    EXPECT_EQ(JwtCodec(std::string(kKey) + "x").verify(kPyAccess, kNow, view, *scratch_),
              JwtError::bad_signature);
    EXPECT_EQ(JwtCodec("").verify(kPyAccess, kNow, view, *scratch_), JwtError::bad_signature);
    EXPECT_EQ(verify(JwtCodec("another-secret").encode(fixture_claims())), JwtError::bad_signature);
}

TEST_F(JwtTest, ClaimErrorsAfterAValidSignature) {
    EXPECT_EQ(verify(sign_raw(with_claim("sid", ""))), JwtError::bad_claims);
    EXPECT_EQ(verify(sign_raw(with_claim("user_id", R"("42")"))), JwtError::bad_claims);
    EXPECT_EQ(verify(sign_raw(with_claim("exp", "4102444800.5"))), JwtError::bad_claims);
    EXPECT_EQ(verify(sign_raw(with_claim("token_type", R"("id")"))), JwtError::bad_claims);
    EXPECT_EQ(verify(sign_raw(with_claim("tv", "-1"))), JwtError::bad_claims);
    EXPECT_EQ(verify(sign_raw("not json")), JwtError::bad_claims);
    EXPECT_EQ(verify(sign_raw("")), JwtError::bad_claims);
    EXPECT_EQ(verify(sign_raw(fixture_json() + "\n")), JwtError::ok);
    // A signed payload segment that is not base64url (only a key holder could make one).
    std::string token = std::string(JwtCodec::encoded_header) + ".e30=";
    const HmacSha256::Digest mac = HmacSha256(kKey).mac(token);
    token += "." + base64url_encode(
                       std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
    EXPECT_EQ(verify(token), JwtError::malformed);
}

TEST_F(JwtTest, BoundsTokenSize) {
    // A padding claim sized so that the whole token is exactly the limit, then one byte more.
    const auto token_with_payload = [](std::size_t payload_size) {
        const std::string json = fixture_json();
        const std::string head = json.substr(0, json.size() - 1) + R"(,"pad":")";
        return sign_raw(head + std::string(payload_size - head.size() - 2, 'x') + "\"}");
    };
    const std::string at_limit = token_with_payload(3011);
    ASSERT_EQ(at_limit.size(), JwtScratch::max_token_size);
    EXPECT_EQ(verify(at_limit), JwtError::ok);
    const std::string over = token_with_payload(3012);
    ASSERT_EQ(over.size(), JwtScratch::max_token_size + 1);
    EXPECT_EQ(verify(over), JwtError::malformed);
    EXPECT_EQ(verify(std::string(1 << 20, 'A')), JwtError::malformed);
}

TEST_F(JwtTest, RefusesGarbage) {
    for (const char* text :
         {"", ".", "..", "...", "a", "a.b", "a.b.c", "a.b.c.d", "Bearer x.y.z", "null"}) {
        const JwtError result = verify(text);
        EXPECT_TRUE(result == JwtError::malformed || result == JwtError::bad_header) << text;
    }
    EXPECT_EQ(verify(""), JwtError::malformed);
    EXPECT_EQ(verify("a.b"), JwtError::malformed);
    EXPECT_EQ(verify(std::string(kPyAccess) + ".x"), JwtError::malformed);
    EXPECT_EQ(verify(" " + std::string(kPyAccess)), JwtError::bad_header);
    EXPECT_EQ(verify(std::string(JwtCodec::encoded_header) + ".."), JwtError::bad_signature);

    // Random bytes and random mutations of a valid token never verify.
    std::mt19937 rng(4242);
    const std::string valid(kPyAccess);
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        if (round % 2 == 0) {
            text.resize(rng() % 400);
            for (auto& c : text) c = static_cast<char>(rng());
        } else {
            text = valid;
            for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
                text[rng() % text.size()] = static_cast<char>(rng());
            }
            if (text == valid) continue;
        }
        EXPECT_NE(verify(text), JwtError::ok) << text;
    }
}

TEST(JwtErrorTest, Names) {
    EXPECT_EQ(to_string(JwtError::ok), "ok");
    EXPECT_EQ(to_string(JwtError::bad_header), "bad_header");
    EXPECT_EQ(to_string(JwtError::expired), "expired");
    EXPECT_EQ(to_string(TokenType::refresh), "refresh");
}

TEST(NewTokenId, LooksLikeUuid4HexAndIsUnique) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string id = new_token_id();
        ASSERT_EQ(id.size(), 32u);
        EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
        EXPECT_EQ(id[12], '4') << id;
        EXPECT_NE(std::string_view("89ab").find(id[16]), std::string_view::npos) << id;
        EXPECT_TRUE(seen.insert(id).second);
    }
}

}  // namespace
}  // namespace authd::auth
