// tests/unit/test_token_keys.cpp — KeySet (issue 15): kid in every header, legacy HS256 and
// fallbacks, EdDSA with RFC 9864's alias, key confusion, retired-key expiry, the signature
// cache; the sealed key ring and its rotation; link fallbacks.
#include <gtest/gtest.h>
#include <sodium.h>

#include "auth/base64url.hpp"
#include "auth/key_ring.hpp"
#include "auth/link_token.hpp"
#include "auth/token_keys.hpp"

namespace authd::auth {
namespace {

constexpr std::string_view kSecret = "unit-secret-key-0123456789abcdef-0123456789";
constexpr std::string_view kOld = "older-secret-key-0123456789abcdef-012345678";
constexpr int64_t kNow = 1700000000;

Claims sample() {
    Claims c;
    c.exp = kNow + 300;
    c.iat = kNow;
    c.jti = new_token_id();
    c.user_id = 7;
    c.username = "ann";
    c.role = "CLIENT";
    c.sid = new_token_id();
    c.tv = 1;
    c.iss = "https://auth.example.com";
    return c;
}

std::string header_json(std::string_view token) {
    return *base64url_decode(token.substr(0, token.find('.')));
}

// header.payload of `token` re-signed with Ed25519 `seed` under another header.
std::string resign_ed25519(std::string_view token, std::string_view header,
                           const std::array<uint8_t, 32>& seed) {
    const std::string payload(
        token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
    const std::string input = base64url_encode(header) + "." + payload;
    unsigned char pk[32], sk[64], sig[64];
    crypto_sign_seed_keypair(pk, sk, seed.data());
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(input.data()),
                         input.size(), sk);
    return input + "." + base64url_encode(std::string_view(reinterpret_cast<char*>(sig), 64));
}

struct Verify {
    JwtScratch scratch;
    SignatureCache cache;
    JwtError operator()(const KeySet& keys, std::string_view token, int64_t now = kNow) {
        ClaimsView out;
        return keys.verify(token, now, out, scratch, cache);
    }
};

TEST(TokenKeys, Hs256CarriesAKidAndLegacyTokensAndFallbacksVerify) {
    KeySetConfig config;
    config.secret = std::string(kSecret);
    config.fallbacks = {std::string(kOld)};
    const KeySet keys(config, {}, 0, kNow);
    const std::string token = keys.sign(sample());
    EXPECT_EQ(header_json(token),
              R"({"alg":"HS256","kid":")" + hs256_kid(kSecret) + R"(","typ":"JWT"})");
    Verify verify;
    EXPECT_EQ(verify(keys, token), JwtError::ok);
    // Before kids: JwtCodec's header, with the current secret and with a fallback.
    EXPECT_EQ(verify(keys, JwtCodec(kSecret).encode(sample())), JwtError::ok);
    EXPECT_EQ(verify(keys, JwtCodec(kOld).encode(sample())), JwtError::ok);
    KeySetConfig old_only;
    old_only.secret = std::string(kOld);
    EXPECT_EQ(verify(keys, KeySet(old_only, {}, 0, kNow).sign(sample())), JwtError::ok);
    EXPECT_EQ(verify(keys, JwtCodec("another-secret-0123456789abcdef-0123456").encode(sample())),
              JwtError::bad_signature);
    EXPECT_EQ(verify(keys, token, kNow + 301), JwtError::expired);
}

TEST(TokenKeys, EdDsaSignsVerifiesAndAcceptsTheEd25519Alias) {
    KeySetConfig config;
    config.secret = std::string(kSecret);
    config.alg = SigningAlg::eddsa;
    const Ed25519Key key = new_ed25519_key(kNow);
    const KeySet keys(config, {key}, 1, kNow);
    ASSERT_TRUE(keys.valid());
    const std::string token = keys.sign(sample());
    EXPECT_EQ(header_json(token), R"({"alg":"EdDSA","kid":")" + key.kid + R"(","typ":"JWT"})");
    Verify verify;
    EXPECT_EQ(verify(keys, token), JwtError::ok);
    EXPECT_EQ(verify(keys, token), JwtError::ok);  // from the cache this time
    const std::string alias = resign_ed25519(
        token, R"({"alg":"Ed25519","kid":")" + key.kid + R"(","typ":"JWT"})", key.seed);
    EXPECT_EQ(verify(keys, alias), JwtError::ok);
    // A flipped signature bit fails even right after the genuine token was cached.
    std::string tampered = token;
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(verify(keys, tampered), JwtError::bad_signature);
    // HS256 tokens of the secret keep verifying after a switch to EdDSA.
    EXPECT_EQ(verify(keys, JwtCodec(kSecret).encode(sample())), JwtError::ok);
    EXPECT_NE(keys.jwks_json().find(key.kid), std::string::npos);
}

TEST(TokenKeys, KeyConfusionAndUnknownKeysAreRefused) {
    KeySetConfig config;
    config.secret = std::string(kSecret);
    config.alg = SigningAlg::eddsa;
    const Ed25519Key key = new_ed25519_key(kNow);
    const KeySet keys(config, {key}, 1, kNow);
    const std::string token = keys.sign(sample());
    const std::array<uint8_t, 32> pub = ed25519_public_key(key.seed);
    const std::string pub_bytes(reinterpret_cast<const char*>(pub.data()), pub.size());
    const std::string payload(
        token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
    KeySetConfig confused;  // an HS256 signer whose secret is the public key
    confused.secret = pub_bytes;
    const std::string hs = KeySet(confused, {}, 0, kNow).sign(sample());
    Verify verify;
    EXPECT_EQ(verify(keys, hs), JwtError::bad_header);
    const std::string kid_hs =
        base64url_encode(R"({"alg":"HS256","kid":")" + key.kid + R"(","typ":"JWT"})");
    const std::string input = kid_hs + "." + payload;
    const HmacSha256::Digest mac = HmacSha256(pub_bytes).mac(input);
    EXPECT_EQ(verify(keys, input + "." +
                               base64url_encode(std::string_view(
                                   reinterpret_cast<const char*>(mac.data()), mac.size()))),
              JwtError::bad_header);
    const Ed25519Key stranger = new_ed25519_key(kNow);
    EXPECT_EQ(verify(keys, resign_ed25519(token, header_json(token), stranger.seed)),
              JwtError::bad_signature);
}

TEST(TokenKeys, RetiredKeysVerifyForTheRefreshLifetimeThenDisappear) {
    KeySetConfig config;
    config.secret = std::string(kSecret);
    config.alg = SigningAlg::eddsa;
    config.retired_lifetime = 1000;
    KeyRing ring{1, {new_ed25519_key(kNow)}};
    const std::string old_token = KeySet(config, ring.keys, 1, kNow).sign(sample());
    ring = rotated_key_ring(ring, kNow + 10, config.retired_lifetime);
    ASSERT_EQ(ring.keys.size(), 2u);
    EXPECT_EQ(ring.version, 2u);
    Verify verify;
    const KeySet during(config, ring.keys, ring.version, kNow + 10);
    EXPECT_EQ(verify(during, old_token, kNow + 10), JwtError::ok);
    EXPECT_EQ(during.next_expiry(), kNow + 1010);
    EXPECT_NE(during.active_kid(), ring.keys.front().kid);
    const KeySet after(config, ring.keys, ring.version, kNow + 1010);
    EXPECT_EQ(verify(after, old_token, kNow + 100), JwtError::bad_header);
    EXPECT_EQ(after.jwks_json().find(ring.keys.front().kid), std::string::npos);
    EXPECT_EQ(rotated_key_ring(ring, kNow + 1011, 1000).keys.size(), 2u);  // the expired one left
}

TEST(TokenKeys, SealedRingOpensOnlyWithItsSecretOrAFallback) {
    KeyRing ring{3, {new_ed25519_key(kNow), new_ed25519_key(kNow + 1)}};
    ring.keys[0].retired_at = kNow + 1;
    const std::string sealed = seal_key_ring(ring, kSecret);
    EXPECT_EQ(sealed.rfind("v1.", 0), 0u);
    EXPECT_EQ(sealed.find(ring.keys[0].kid), std::string::npos);
    std::string error;
    auto opened = open_key_ring(sealed, kSecret, {}, error);
    ASSERT_TRUE(opened) << error;
    EXPECT_EQ(opened->version, 3u);
    ASSERT_EQ(opened->keys.size(), 2u);
    EXPECT_EQ(opened->keys[0].seed, ring.keys[0].seed);
    EXPECT_EQ(opened->keys[0].retired_at, kNow + 1);
    EXPECT_FALSE(open_key_ring(sealed, kOld, {}, error));
    EXPECT_NE(error.find("AUTHD_SECRET_KEY_FALLBACKS"), std::string::npos);
    EXPECT_TRUE(open_key_ring(sealed, kOld, {std::string(kSecret)}, error));
    std::string broken = sealed;
    broken[10] = broken[10] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(open_key_ring(broken, kSecret, {}, error));
    EXPECT_FALSE(open_key_ring("garbage", kSecret, {}, error));
    EXPECT_FALSE(open_key_ring("", kSecret, {}, error));
}

TEST(TokenKeys, LinksMadeWithAFallbackSecretStillCheck) {
    LinkTokens old_links(kOld, 3600);
    LinkTokens links(kSecret, 3600);
    const std::string token = old_links.make(LinkPurpose::verify_email, 5, "state", kNow);
    EXPECT_FALSE(links.check(LinkPurpose::verify_email, 5, "state", token, kNow));
    links.add_fallback_key(kOld);
    EXPECT_TRUE(links.check(LinkPurpose::verify_email, 5, "state", token, kNow));
    EXPECT_FALSE(links.check(LinkPurpose::reset_password, 5, "state", token, kNow));
}

}  // namespace
}  // namespace authd::auth
