// HMAC-SHA256 against the RFC 4231 vectors, and the claims JSON writer/parser (key order and
// escaping like PyJWT, required claims and types, limits, hostile strings).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/hmac_sha256.hpp"
#include "auth/jwt.hpp"
#include "tests/unit/jwt_test_support.hpp"

namespace authd::auth {
namespace {

using namespace jwt_testing;

std::string hex(const HmacSha256::Digest& digest) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const uint8_t b : digest) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
    }
    return out;
}

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

}  // namespace
}  // namespace authd::auth
