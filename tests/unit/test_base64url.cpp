// tests/unit/test_base64url.cpp — unpadded base64url: RFC 4648 vectors, round trips, strict
// rejection.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "auth/base64url.hpp"

namespace authd::auth {
namespace {

struct Vector {
    const char* plain;
    const char* encoded;
};

// RFC 4648 §10 test vectors, without the padding that base64url-in-JWT omits.
constexpr Vector kRfc4648[] = {
    {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

TEST(Base64Url, Rfc4648Vectors) {
    for (const auto& v : kRfc4648) {
        EXPECT_EQ(base64url_encode(v.plain), v.encoded);
        const auto decoded = base64url_decode(v.encoded);
        ASSERT_TRUE(decoded.has_value()) << v.encoded;
        EXPECT_EQ(*decoded, v.plain);
    }
}

TEST(Base64Url, UsesTheUrlSafeAlphabet) {
    const std::string bytes("\xfb\xff\xbf\xfe", 4);  // standard base64: "+/+//g=="
    EXPECT_EQ(base64url_encode(bytes), "-_-__g");
    EXPECT_EQ(base64url_decode("-_-__g"), bytes);
    EXPECT_FALSE(base64url_decode("+/+//g").has_value());
}

TEST(Base64Url, SizesMatchTheEncoding) {
    for (std::size_t n = 0; n < 64; ++n) {
        const std::string bytes(n, 'x');
        EXPECT_EQ(base64url_encode(bytes).size(), base64url_encoded_size(n));
        EXPECT_EQ(base64url_decoded_size(base64url_encoded_size(n)), n);
    }
}

TEST(Base64Url, RoundTripsRandomBytes) {
    std::mt19937 rng(12345);
    for (int round = 0; round < 2000; ++round) {
        std::string bytes(rng() % 100, '\0');
        for (auto& b : bytes) b = static_cast<char>(rng());
        const std::string text = base64url_encode(bytes);
        EXPECT_EQ(text.find_first_not_of(
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                  std::string::npos);
        EXPECT_EQ(base64url_decode(text), bytes);
    }
}

TEST(Base64Url, RejectsPadding) {
    EXPECT_FALSE(base64url_decode("Zg==").has_value());
    EXPECT_FALSE(base64url_decode("Zm8=").has_value());
    EXPECT_FALSE(base64url_decode("Zg=").has_value());
}

TEST(Base64Url, RejectsInvalidCharacters) {
    for (const char* bad : {"Zm9v!A", "Zm 9v", "Zm9\nv", "Zm9v+A", "Zm9v/A", "Zm.v"}) {
        EXPECT_FALSE(base64url_decode(bad).has_value()) << bad;
    }
    EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)).has_value());
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int c = 0; c < 256; ++c) {
        if (alphabet.find(static_cast<char>(c)) != std::string::npos) continue;
        for (std::size_t at = 0; at < 4; ++at) {  // every position of a full quad
            std::string text = "Zm9vYmFy";
            text[at] = static_cast<char>(c);
            EXPECT_FALSE(base64url_decode(text).has_value()) << c << " at " << at;
        }
        const std::string bad(1, static_cast<char>(c));  // and of the 2- and 3-character tails
        EXPECT_FALSE(base64url_decode("Zm9v" + bad + "A").has_value()) << c;
        EXPECT_FALSE(base64url_decode("Zm9vA" + bad).has_value()) << c;
        EXPECT_FALSE(base64url_decode("Zm9vAA" + bad).has_value()) << c;
    }
    EXPECT_FALSE(base64url_decode("Zm9\xc3\xa9").has_value());
}

TEST(Base64Url, RejectsImpossibleLengths) {
    EXPECT_FALSE(base64url_decode("A").has_value());
    EXPECT_FALSE(base64url_decode("Zm9vY").has_value());
}

TEST(Base64Url, RejectsNonCanonicalTrailingBits) {
    // "Zg" is canonical for "f"; "Zh".."Zv" carry the same byte with non-zero unused bits.
    EXPECT_TRUE(base64url_decode("Zg").has_value());
    EXPECT_FALSE(base64url_decode("Zh").has_value());
    EXPECT_FALSE(base64url_decode("Zv").has_value());
    EXPECT_TRUE(base64url_decode("Zm8").has_value());
    EXPECT_FALSE(base64url_decode("Zm9").has_value());
    EXPECT_FALSE(base64url_decode("Zm-").has_value());
}

TEST(Base64Url, BufferVariantRespectsCapacity) {
    char out[4];
    EXPECT_EQ(base64url_decode("Zm9vYg", out, 4), std::optional<std::size_t>(4));
    EXPECT_EQ(std::string(out, 4), "foob");
    EXPECT_FALSE(base64url_decode("Zm9vYmE", out, 4).has_value());  // needs 5
    EXPECT_EQ(base64url_decode("", out, 0), std::optional<std::size_t>(0));

    char text[8] = {};
    EXPECT_EQ(base64url_encode("fooba", 5, text), 7u);
    EXPECT_EQ(std::string(text, 7), "Zm9vYmE");
}

}  // namespace
}  // namespace authd::auth
