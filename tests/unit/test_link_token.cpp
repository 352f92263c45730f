// tests/unit/test_link_token.cpp — uidb64 against Django's encoding, and one-time link tokens:
// validity, binding to purpose/user/state, expiry, future timestamps, tampering and size bounds.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "auth/link_token.hpp"

namespace authd::auth {
namespace {

constexpr std::string_view kKey = "django-insecure-authd-fixture-key-0123456789";
constexpr int64_t kTtl = 3 * 24 * 3600;
constexpr int64_t kNow = 1700000000;
constexpr std::string_view kState = "pbkdf2_sha256$600000$salt$hash|2025-06-01T10:00:00Z";

// ---- uidb64 ----

TEST(Uidb64, MatchesDjangoUrlsafeBase64Encode) {
    // base64.urlsafe_b64encode(str(pk).encode()).rstrip(b"=") in Python.
    EXPECT_EQ(uidb64_encode(1), "MQ");
    EXPECT_EQ(uidb64_encode(42), "NDI");
    EXPECT_EQ(uidb64_encode(123), "MTIz");
    EXPECT_EQ(uidb64_encode(9223372036854775807), "OTIyMzM3MjAzNjg1NDc3NTgwNw");
}

TEST(Uidb64, RoundTrips) {
    for (const int64_t id : {int64_t{1}, int64_t{9}, int64_t{10}, int64_t{99999}, int64_t{1} << 40,
                             int64_t{9223372036854775807}}) {
        EXPECT_EQ(uidb64_decode(uidb64_encode(id)), id);
    }
}

TEST(Uidb64, DecodeIsStrict) {
    EXPECT_FALSE(uidb64_decode("").has_value());
    EXPECT_FALSE(uidb64_decode("MA").has_value());    // "0"
    EXPECT_FALSE(uidb64_decode("MDQy").has_value());  // "042": leading zero
    EXPECT_FALSE(uidb64_decode("LTE").has_value());   // "-1"
    EXPECT_FALSE(uidb64_decode("KzE").has_value());   // "+1"
    EXPECT_FALSE(uidb64_decode("IDE").has_value());   // " 1"
    EXPECT_FALSE(uidb64_decode("MWE").has_value());   // "1a"
    EXPECT_FALSE(uidb64_decode("MQ==").has_value());  // padded
    EXPECT_FALSE(uidb64_decode("MR").has_value());    // non-canonical trailing bits
    EXPECT_FALSE(uidb64_decode("N D I").has_value());
    EXPECT_FALSE(uidb64_decode("OTIyMzM3MjAzNjg1NDc3NTgwOA").has_value());   // INT64_MAX + 1
    EXPECT_FALSE(uidb64_decode("MTExMTExMTExMTExMTExMTExMTE").has_value());  // 20 digits
    EXPECT_FALSE(uidb64_decode(std::string(10000, 'M')).has_value());
}

// ---- LinkTokens ----

class LinkTokenTest : public ::testing::Test {
  protected:
    LinkTokens links_{kKey, kTtl};
};

TEST_F(LinkTokenTest, HasDjangoLikeShape) {
    const std::string token = links_.make(LinkPurpose::reset_password, 42, kState, kNow);
    const std::size_t dash = token.find('-');
    ASSERT_NE(dash, std::string::npos);
    EXPECT_EQ(token.substr(0, dash), "s44we8");  // 1700000000 in base36
    EXPECT_EQ(token.size() - dash - 1, 64u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef", dash + 1), std::string::npos);
    EXPECT_LE(token.size(), LinkTokens::max_token_size);
}

TEST_F(LinkTokenTest, ValidTokenChecks) {
    for (const LinkPurpose purpose : {LinkPurpose::verify_email, LinkPurpose::reset_password}) {
        const std::string token = links_.make(purpose, 42, kState, kNow);
        EXPECT_TRUE(links_.check(purpose, 42, kState, token, kNow));
        EXPECT_TRUE(links_.check(purpose, 42, kState, token, kNow + 60));
        EXPECT_TRUE(LinkTokens(kKey, kTtl)
                        .check(purpose, 42, kState, token, kNow));  // stateless: any instance
    }
    const std::string empty_state = links_.make(LinkPurpose::verify_email, 1, "", kNow);
    EXPECT_TRUE(links_.check(LinkPurpose::verify_email, 1, "", empty_state, kNow));
}

TEST_F(LinkTokenTest, IsDeterministicForTheSameInputs) {
    EXPECT_EQ(links_.make(LinkPurpose::verify_email, 7, kState, kNow),
              links_.make(LinkPurpose::verify_email, 7, kState, kNow));
    EXPECT_NE(links_.make(LinkPurpose::verify_email, 7, kState, kNow),
              links_.make(LinkPurpose::verify_email, 7, kState, kNow + 1));
}

TEST_F(LinkTokenTest, BoundToPurpose) {
    const std::string verify = links_.make(LinkPurpose::verify_email, 42, kState, kNow);
    const std::string reset = links_.make(LinkPurpose::reset_password, 42, kState, kNow);
    EXPECT_NE(verify.substr(verify.find('-')), reset.substr(reset.find('-')));
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 42, kState, verify, kNow));
    EXPECT_FALSE(links_.check(LinkPurpose::verify_email, 42, kState, reset, kNow));
}

TEST_F(LinkTokenTest, BoundToUser) {
    const std::string token = links_.make(LinkPurpose::reset_password, 42, kState, kNow);
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 43, kState, token, kNow));
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 4, kState, token, kNow));
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 0, kState, token, kNow));
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, -42, kState, token, kNow));
}

TEST_F(LinkTokenTest, StopsWorkingOnceTheUserStateChanges) {
    const std::string token = links_.make(LinkPurpose::reset_password, 42, "hash-1|login-1", kNow);
    EXPECT_TRUE(links_.check(LinkPurpose::reset_password, 42, "hash-1|login-1", token, kNow + 5));
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 42, "hash-2|login-1", token,
                              kNow + 5));  // password reset
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 42, "hash-1|login-2", token,
                              kNow + 5));  // logged in
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 42, "", token, kNow + 5));
    const std::string verify = links_.make(LinkPurpose::verify_email, 42, "a@example.com|0", kNow);
    EXPECT_FALSE(
        links_.check(LinkPurpose::verify_email, 42, "a@example.com|1", verify, kNow));  // verified
    EXPECT_FALSE(links_.check(LinkPurpose::verify_email, 42, "b@example.com|0", verify,
                              kNow));  // email changed
}

TEST_F(LinkTokenTest, FieldsCannotBeShiftedIntoEachOther) {
    // Without separators, user 1 with state "2x" and user 12 with state "x" would MAC the same
    // bytes.
    const std::string token = links_.make(LinkPurpose::verify_email, 1, "2x", kNow);
    EXPECT_FALSE(links_.check(LinkPurpose::verify_email, 12, "x", token, kNow));
}

TEST_F(LinkTokenTest, ExpiresAfterTtl) {
    const std::string token = links_.make(LinkPurpose::verify_email, 42, kState, kNow);
    EXPECT_TRUE(links_.check(LinkPurpose::verify_email, 42, kState, token, kNow + kTtl));
    EXPECT_FALSE(links_.check(LinkPurpose::verify_email, 42, kState, token, kNow + kTtl + 1));
    LinkTokens zero_ttl(kKey, 0);
    const std::string instant = zero_ttl.make(LinkPurpose::verify_email, 42, kState, kNow);
    EXPECT_TRUE(zero_ttl.check(LinkPurpose::verify_email, 42, kState, instant, kNow));
    EXPECT_FALSE(zero_ttl.check(LinkPurpose::verify_email, 42, kState, instant, kNow + 1));
}

TEST_F(LinkTokenTest, RefusesFutureTimestamps) {
    const std::string token = links_.make(LinkPurpose::verify_email, 42, kState, kNow + 10);
    EXPECT_FALSE(links_.check(LinkPurpose::verify_email, 42, kState, token, kNow));
    EXPECT_TRUE(links_.check(LinkPurpose::verify_email, 42, kState, token, kNow + 10));
}

TEST_F(LinkTokenTest, RefusesTampering) {
    const std::string token = links_.make(LinkPurpose::reset_password, 42, kState, kNow);
    for (std::size_t i = 0; i < token.size(); ++i) {
        if (token[i] == '-') continue;
        std::string tampered = token;
        tampered[i] = tampered[i] == 'a' ? 'b' : 'a';
        EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 42, kState, tampered, kNow + 1))
            << tampered;
    }
    // A later timestamp spliced onto the old MAC (to extend the link's life) fails.
    const std::string later = links_.make(LinkPurpose::reset_password, 42, kState, kNow + 100);
    const std::string spliced = later.substr(0, later.find('-')) + token.substr(token.find('-'));
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 42, kState, spliced, kNow + 100));
    // Upper-case hex, a leading zero on the timestamp, or another key are not the token we made.
    std::string upper = token;
    for (std::size_t i = upper.find('-'); i < upper.size(); ++i)
        upper[i] = static_cast<char>(std::toupper(upper[i]));
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 42, kState, upper, kNow));
    EXPECT_FALSE(links_.check(LinkPurpose::reset_password, 42, kState, "0" + token, kNow));
    EXPECT_FALSE(
        LinkTokens("other-key", kTtl).check(LinkPurpose::reset_password, 42, kState, token, kNow));
}

TEST_F(LinkTokenTest, RefusesMalformedTokens) {
    const std::string token = links_.make(LinkPurpose::verify_email, 42, kState, kNow);
    const std::string mac = token.substr(token.find('-') + 1);
    for (const std::string& bad :
         {std::string(), std::string("-"), std::string("s44we8"), std::string("s44we8-"), "-" + mac,
          "s44we8" + mac, "s44we8--" + mac, "s44we8-" + mac + "0", "s44we8-" + mac.substr(1),
          "S44WE8-" + mac, "s44 we8-" + mac, "zzzzzzzzzzzzzz-" + mac, "1y2p0ij32e8e8-" + mac,
          std::string(10000, 'a'), token + std::string(100, '0')}) {
        EXPECT_FALSE(links_.check(LinkPurpose::verify_email, 42, kState, bad, kNow)) << bad;
    }
}

TEST(LinkPurposeTest, Names) {
    EXPECT_EQ(to_string(LinkPurpose::verify_email), "verify_email");
    EXPECT_EQ(to_string(LinkPurpose::reset_password), "reset_password");
}

}  // namespace
}  // namespace authd::auth
