// tests/unit/test_jwt.cpp — HMAC-SHA256 vectors, the claims JSON writer/parser, and JwtCodec
// against tokens produced by PyJWT 2.6 (fixtures generated once with /usr/bin/python3 and
// hard-coded below).
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "auth/hmac_sha256.hpp"
#include "auth/jwt.hpp"

namespace authd::auth {
namespace {

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
constexpr std::string_view kUnicodeUsername =
    "Zo\xc3\xab \xf0\x9f\x98\x80 \"q\"\\/\t\x7f\x01\xe4\xb8\xad";
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

Claims fixture_claims() {
    Claims c;
    c.token_type = TokenType::access;
    c.exp = 4102444800;
    c.iat = 1700000000;
    c.jti = "0123456789abcdef0123456789abcdef";
    c.user_id = 42;
    c.username = "alice";
    c.role = "user";
    c.sid = "sess-1";
    c.tv = 3;
    return c;
}

std::string fixture_json() {
    std::string json;
    write_claims_json(fixture_claims(), json);
    return json;
}

std::string hex(const HmacSha256::Digest& digest) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const uint8_t b : digest) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
    }
    return out;
}

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

// ---- HMAC-SHA256 ----

TEST(HmacSha256Test, Rfc4231Vectors) {
    EXPECT_EQ(hex(HmacSha256(std::string(20, '\x0b')).mac("Hi There")),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(hex(HmacSha256("Jefe").mac("what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(hex(HmacSha256(std::string(131, '\xaa'))
                      .mac("Test Using Larger Than Block-Size Key - Hash Key First")),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    EXPECT_EQ(hex(HmacSha256(std::string(131, '\xaa'))
                      .mac("This is a test using a larger than block-size key and a larger than "
                           "block-size data. "
                           "The key needs to be hashed before being used by the HMAC algorithm.")),
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256Test, StreamingEqualsOneShotAndKeyIsReusable) {
    const HmacSha256 key("secret");
    const std::string message(1000, 'm');
    const HmacSha256::Digest one_shot = key.mac(message);
    HmacSha256::Stream stream = key.begin();
    stream.update(std::string_view(message).substr(0, 3));
    stream.update(std::string_view(message).substr(3, 500));
    stream.update(std::string_view(message).substr(503));
    EXPECT_EQ(stream.finish(), one_shot);
    EXPECT_EQ(key.mac(message), one_shot);  // the precomputed state was copied, not consumed
    EXPECT_NE(key.mac("other"), one_shot);
}

// ---- claims JSON ----

TEST(JwtClaimsJson, WritesSimpleJwtKeyOrderCompactly) {
    EXPECT_EQ(
        fixture_json(),
        R"({"token_type":"access","exp":4102444800,"iat":1700000000,"jti":"0123456789abcdef0123456789abcdef",)"
        R"("user_id":42,"username":"alice","role":"user","sid":"sess-1","tv":3})");
}

TEST(JwtClaimsJson, EscapesLikePythonEnsureAscii) {
    Claims c = fixture_claims();
    c.username = std::string(kUnicodeUsername);
    std::string json;
    write_claims_json(c, json);
    EXPECT_NE(json.find(R"("username":"Zo\u00eb \ud83d\ude00 \"q\"\\/\t\u007f\u0001\u4e2d")"),
              std::string::npos)
        << json;
    c.username = std::string(
        "a\xff"
        "b\xc3",
        4);  // invalid UTF-8 still yields valid JSON
    json.clear();
    write_claims_json(c, json);
    EXPECT_NE(json.find(R"("username":"a\ufffdb\ufffd")"), std::string::npos) << json;
}

TEST(JwtClaimsJson, ParsesWhatItWrites) {
    Claims c = fixture_claims();
    c.token_type = TokenType::refresh;
    c.username = std::string(kUnicodeUsername);
    c.exp = -5;
    c.tv = 4294967295u;
    c.user_id = 9223372036854775807;
    std::string json;
    write_claims_json(c, json);
    char strings[512];
    ClaimsView view;
    ASSERT_TRUE(parse_claims_json(json, strings, sizeof strings, view));
    const Claims back = to_claims(view);
    EXPECT_EQ(back.token_type, TokenType::refresh);
    EXPECT_EQ(back.exp, -5);
    EXPECT_EQ(back.iat, c.iat);
    EXPECT_EQ(back.jti, c.jti);
    EXPECT_EQ(back.user_id, c.user_id);
    EXPECT_EQ(back.username, kUnicodeUsername);
    EXPECT_EQ(back.role, c.role);
    EXPECT_EQ(back.sid, c.sid);
    EXPECT_EQ(back.tv, c.tv);
}

// Parses with a string buffer of exactly the documented worst-case size; copies the claims out of
// it.
bool parses(std::string_view json, Claims* out = nullptr) {
    std::vector<char> strings(json.size());
    ClaimsView view;
    const bool ok = parse_claims_json(json, strings.data(), strings.size(), view);
    if (ok && out != nullptr) *out = to_claims(view);
    return ok;
}

// The fixture JSON with one claim's value text replaced (or the member removed when value is
// empty).
std::string with_claim(std::string_view name, std::string_view value) {
    std::string json = fixture_json();
    const std::string key = "\"" + std::string(name) + "\":";
    const std::size_t at = json.find(key);
    std::size_t end = at + key.size();
    if (json[end] == '"') {
        end = json.find('"', end + 1) + 1;
    } else {
        end = json.find_first_of(",}", end);
    }
    if (value.empty()) {
        const bool last = json[end] == '}';
        json.erase(last ? at - 1 : at, end - at + 1);
        if (last) json += '}';
    } else {
        json.replace(at + key.size(), end - at - key.size(), value);
    }
    return json;
}

TEST(JwtClaimsJson, EveryClaimIsRequired) {
    ASSERT_TRUE(parses(fixture_json()));
    for (const char* name :
         {"token_type", "exp", "iat", "jti", "user_id", "username", "role", "sid", "tv"}) {
        const std::string json = with_claim(name, "");
        EXPECT_EQ(json.find(std::string("\"") + name + "\""), std::string::npos);
        EXPECT_FALSE(parses(json)) << json;
    }
}

TEST(JwtClaimsJson, EveryClaimMustHaveItsType) {
    const std::vector<std::pair<const char*, std::vector<const char*>>> bad = {
        {"token_type",
         {R"("id")", R"("Access")", R"("access ")", "1", "null", "true", R"(["access"])"}},
        {"exp",
         {R"("4102444800")", "4102444800.0", "4.1e9", "1E3", "true", "null", "9223372036854775808",
          "01", "-"}},
        {"iat", {R"("1700000000")", "1.5", "[]", "{}", "-01", "+1"}},
        {"user_id", {R"("42")", "0", "-1", "42.0", "-0", "9223372036854775808", "null"}},
        {"tv", {"-1", "4294967296", R"("3")", "3.0", "null", "1e2"}},
        {"jti", {"1", "null", "[]", "{}", "true"}},
        {"username", {"1", "null", R"(["alice"])"}},
        {"role", {"0", "false"}},
        {"sid", {"1", "{}"}},
    };
    for (const auto& [name, values] : bad) {
        for (const char* value : values) {
            EXPECT_FALSE(parses(with_claim(name, value))) << name << " = " << value;
        }
    }
}

TEST(JwtClaimsJson, IntegerLimits) {
    Claims view;
    ASSERT_TRUE(parses(with_claim("exp", "-9223372036854775808"), &view));
    EXPECT_EQ(view.exp, INT64_MIN);
    ASSERT_TRUE(parses(with_claim("iat", "9223372036854775807"), &view));
    EXPECT_EQ(view.iat, INT64_MAX);
    EXPECT_FALSE(parses(with_claim("iat", "-9223372036854775809")));
    ASSERT_TRUE(parses(with_claim("tv", "0"), &view));
    EXPECT_EQ(view.tv, 0u);
    ASSERT_TRUE(parses(with_claim("tv", "4294967295"), &view));
    EXPECT_EQ(view.tv, 4294967295u);
    ASSERT_TRUE(parses(with_claim("exp", "-0"), &view));
    EXPECT_EQ(view.exp, 0);
}

TEST(JwtClaimsJson, DecodesStringEscapes) {
    Claims view;
    ASSERT_TRUE(parses(
        with_claim("username", R"("\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t\u0041\u4E2D")"), &view));
    EXPECT_EQ(view.username, "\xc3\xa9\xf0\x9f\x98\x80\"\\/\b\f\n\r\tA\xe4\xb8\xad");
    ASSERT_TRUE(parses(with_claim("role", "\"r\xc3\xa9\xf0\x9f\x98\x80\""), &view));  // raw UTF-8
    EXPECT_EQ(view.role, "r\xc3\xa9\xf0\x9f\x98\x80");
    ASSERT_TRUE(parses(with_claim("sid", R"("")"), &view));
    EXPECT_EQ(view.sid, "");
    // Keys are unescaped too, so an escaped spelling is the same claim (and then a duplicate).
    std::string json = fixture_json();
    json.replace(json.find("\"exp\""), 5, R"("\u0065xp")");
    ASSERT_TRUE(parses(json, &view));
    EXPECT_EQ(view.exp, 4102444800);
    EXPECT_FALSE(parses(json.substr(0, json.size() - 1) + R"(,"e\u0078p":1})"));
}

TEST(JwtClaimsJson, RejectsBadStrings) {
    for (const char* value : {
             R"("\ud83d")",           // lone high surrogate
             R"("\ude00")",           // lone low surrogate
             R"("\ud83d\u0041")",     // high surrogate not followed by a low one
             R"("\ud83dx")",          //
             R"("\u12")",             // short \u escape
             R"("\u12g4")",           //
             R"("\x41")",             // unknown escape
             R"("\')",                //
             "\"a\x01\"",             // raw control character
             "\"a\tb\"",              //
             "\"\xc0\xaf\"",          // overlong '/'
             "\"\xe0\x80\xaf\"",      // overlong
             "\"\xed\xa0\x80\"",      // encoded surrogate
             "\"\xf4\x90\x80\x80\"",  // above U+10FFFF
             "\"\xf5\x80\x80\x80\"",  //
             "\"\xc3\"",              // truncated sequence
             "\"\xe4\xb8\"",          //
             "\"\x80\"",              // stray continuation byte
             "\"\xff\"",              //
             "\"abc",                 // unterminated
         }) {
        EXPECT_FALSE(parses(with_claim("username", value))) << value;
    }
}

TEST(JwtClaimsJson, FindsSpecialBytesAtEveryOffsetOfLongStrings) {
    // Long strings are scanned 8 bytes at a time; put each kind of special byte at every offset.
    for (std::size_t at = 0; at < 24; ++at) {
        const std::string before(at, 'a'), after(24 - at, 'b');
        Claims c;
        ASSERT_TRUE(parses(with_claim("username", "\"" + before + "\\n" + after + "\""), &c)) << at;
        EXPECT_EQ(c.username, before + "\n" + after);
        ASSERT_TRUE(parses(with_claim("username", "\"" + before + "\xc3\xa9" + after + "\""), &c))
            << at;
        EXPECT_EQ(c.username, before + "\xc3\xa9" + after);
        ASSERT_TRUE(parses(with_claim("username", "\"" + before + "\x7f" + after + "\""), &c))
            << at;
        EXPECT_EQ(c.username, before + "\x7f" + after);
        ASSERT_TRUE(parses(with_claim("username", "\"" + before + after + "\""), &c)) << at;
        EXPECT_EQ(c.username, before + after);
        EXPECT_FALSE(parses(with_claim("username", "\"" + before + "\x1f" + after + "\""))) << at;
        EXPECT_FALSE(
            parses(with_claim("username", "\"" + before + std::string(1, '\0') + after + "\"")))
            << at;
        EXPECT_FALSE(parses(with_claim("username", "\"" + before + "\xff" + after + "\""))) << at;
        EXPECT_FALSE(parses(with_claim("username", "\"" + before + "\\q" + after + "\"")))
            << at;  // bad escape
    }
}

TEST(JwtClaimsJson, SkipsUnknownMembersButValidatesThem) {
    const std::string base = fixture_json().substr(0, fixture_json().size() - 1);
    for (const char* extra :
         {R"("aud":["a","b"])", R"("n":{"x":[1,2500.0,-0.5e-3,1E+2,null,true,false,{}]})",
          R"("s":"\u00e9\n")", R"("e":[])", R"("z":0)"}) {
        EXPECT_TRUE(parses(base + "," + extra + "}")) << extra;
    }
    for (const char* extra :
         {R"("x":tru)", R"("x":nul)", R"("x":01)", R"("x":1.)", R"("x":.5)", R"("x":-)",
          R"("x":1e)", R"("x":+1)", R"("x":"\q")", R"("x":[1,])", R"("x":{"a"})", R"("x":{"a":1,})",
          R"("x":[1 2])", R"("x":NaN)", R"("x":'a')", R"("x")", R"("x":)", R"(x:1)"}) {
        EXPECT_FALSE(parses(base + "," + extra + "}")) << extra;
    }
    EXPECT_TRUE(parses(base + R"(,"d":)" + std::string(31, '[') + std::string(31, ']') + "}"));
    EXPECT_FALSE(parses(base + R"(,"d":)" + std::string(40, '[') + std::string(40, ']') + "}"));
    EXPECT_FALSE(parses(base + R"(,"d":)" + std::string(100000, '[') + "}"));
}

TEST(JwtClaimsJson, RejectsDuplicatesAndNonObjects) {
    const std::string json = fixture_json();
    EXPECT_FALSE(parses(json.substr(0, json.size() - 1) + R"(,"tv":3})"));
    EXPECT_FALSE(parses(json.substr(0, json.size() - 1) + R"(,"user_id":1})"));
    EXPECT_TRUE(parses(" \t\r\n" + json + " \n"));
    EXPECT_FALSE(parses(json + "x"));
    EXPECT_FALSE(parses(json + "{}"));
    EXPECT_FALSE(parses(json + ","));
    EXPECT_FALSE(parses(json.substr(0, json.size() - 1)));
    EXPECT_FALSE(parses(json.substr(0, json.size() - 1) + ",}"));
    EXPECT_FALSE(parses("[" + json + "]"));
    for (const char* text : {"", "{}", "[]", "null", "1", "\"x\"", "{", "}"})
        EXPECT_FALSE(parses(text)) << text;
    EXPECT_FALSE(parses(std::string_view(json.data(), json.size() - 1)));
}

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
