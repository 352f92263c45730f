// Django's hashers re-done with library KDFs: each verify recomputes the encoded string the way
// Django's hasher.encode() would and compares it in constant time, as Django's verify() does.
#include "auth/django_hashers.hpp"

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace authd::auth {
namespace {

constexpr size_t kMaxEncoded = 1024;  // far above any Django hash; bounds every copy below

std::vector<std::string_view> split(std::string_view s, char sep, size_t max_parts) {
    std::vector<std::string_view> parts;
    while (parts.size() + 1 < max_parts) {
        size_t at = s.find(sep);
        if (at == std::string_view::npos) break;
        parts.push_back(s.substr(0, at));
        s.remove_prefix(at + 1);
    }
    parts.push_back(s);
    return parts;
}

bool parse_ulong(std::string_view s, unsigned long& out) {
    if (s.empty() || s.size() > 12) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
}

bool equal_ct(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64(const unsigned char* bytes, size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(n));
    out.resize(static_cast<size_t>(len));
    return out;
}

bool is_lower_hex(std::string_view s) {
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

std::string hex_digest(const EVP_MD* md, std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1) return {};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(2 * len, '\0');
    for (unsigned i = 0; i < len; ++i) {
        out[2 * i] = kHex[digest[i] >> 4];
        out[2 * i + 1] = kHex[digest[i] & 15];
    }
    return out;
}

// pbkdf2_<digest>$iterations$salt$base64(hash); dklen is the digest size, as in Django.
bool verify_pbkdf2(std::string_view encoded, std::string_view password, const EVP_MD* md) {
    auto parts = split(encoded, '$', 4);
    unsigned long iterations = 0;
    if (parts.size() != 4 || !parse_ulong(parts[1], iterations) || iterations == 0 ||
        iterations > kMaxPbkdf2Iterations) {
        return false;
    }
    unsigned char key[EVP_MAX_MD_SIZE];
    int dklen = EVP_MD_get_size(md);
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(parts[2].data()),
                          static_cast<int>(parts[2].size()), static_cast<int>(iterations), md,
                          dklen, key) != 1) {
        return false;
    }
    bool ok = equal_ct(base64(key, static_cast<size_t>(dklen)), parts[3]);
    OPENSSL_cleanse(key, sizeof key);
    return ok;
}

// argon2$argon2id$v=19$m=..,t=..,p=..$salt$hash: Django hands "$" + the rest to argon2-cffi.
bool verify_argon2(std::string_view encoded, std::string_view password) {
    std::string phc(encoded.substr(6));  // drop "argon2", keep the "$" that follows
    argon2_type type;
    if (phc.starts_with("$argon2id$")) {
        type = Argon2_id;
    } else if (phc.starts_with("$argon2i$")) {
        type = Argon2_i;
    } else {
        return false;
    }
    // The cost fields come before the salt; refuse costs beyond the documented bounds.
    unsigned long m = 0, t = 0, p = 0;
    size_t at = phc.find("$m=");
    if (at == std::string::npos ||
        std::sscanf(phc.c_str() + at, "$m=%lu,t=%lu,p=%lu$", &m, &t, &p) != 3 || m == 0 ||
        m > kMaxArgon2MemoryKib || t == 0 || t > kMaxArgon2Time || p == 0 || p > kMaxArgon2Lanes) {
        return false;
    }
    // argon2_verify compares the tags in constant time.
    return argon2_verify(phc.c_str(), password.data(), password.size(), type) == ARGON2_OK;
}

// bcrypt$<crypt string>; bcrypt_sha256$<crypt string> of hex(sha256(password)).
bool verify_bcrypt(std::string_view setting, std::string_view password) {
    if (!(setting.starts_with("$2b$") || setting.starts_with("$2a$") ||
          setting.starts_with("$2y$"))) {
        return false;
    }
    // C strings: the bcrypt module refuses NUL bytes in a password, so nothing matches then.
    if (password.find('\0') != std::string_view::npos) return false;
    std::string pw(password), set(setting);
    auto data = std::make_unique<crypt_data>();
    const char* out = crypt_r(pw.c_str(), set.c_str(), data.get());
    bool ok = out != nullptr && out[0] == '$' && equal_ct(out, setting);
    OPENSSL_cleanse(pw.data(), pw.size());
    OPENSSL_cleanse(data.get(), sizeof(crypt_data));
    return ok;
}

// scrypt$N$salt$r$p$base64(hash), dklen 64 (Django >= 4.0); maxmem 0 = OpenSSL's default.
bool verify_scrypt(std::string_view encoded, std::string_view password) {
    auto parts = split(encoded, '$', 6);
    unsigned long n = 0, r = 0, p = 0;
    if (parts.size() != 6 || !parse_ulong(parts[1], n) || !parse_ulong(parts[3], r) ||
        !parse_ulong(parts[4], p) || n < 2 || r == 0 || p == 0) {
        return false;
    }
    unsigned char key[64];
    if (EVP_PBE_scrypt(password.data(), password.size(),
                       reinterpret_cast<const unsigned char*>(parts[2].data()), parts[2].size(), n,
                       r, p, 0, key, sizeof key) != 1) {
        return false;
    }
    bool ok = equal_ct(base64(key, sizeof key), parts[5]);
    OPENSSL_cleanse(key, sizeof key);
    return ok;
}

// md5$salt$hex / sha1$salt$hex: hex(digest(salt + password)); unsalted: empty salt.
bool verify_salted(std::string_view encoded, std::string_view password, const EVP_MD* md) {
    auto parts = split(encoded, '$', 3);
    if (parts.size() != 3) return false;
    std::string data(parts[1]);
    data.append(password);
    std::string hex = hex_digest(md, data);
    OPENSSL_cleanse(data.data(), data.size());
    return !hex.empty() && equal_ct(hex, parts[2]);
}

}  // namespace

DjangoAlgorithm identify_django_hash(std::string_view e) {
    if (e.empty() || e.starts_with("!")) return DjangoAlgorithm::unusable;
    // Django's identify_hasher: the two unsalted formats first.
    if ((e.size() == 32 && e.find('$') == std::string_view::npos && is_lower_hex(e)) ||
        (e.size() == 37 && e.starts_with("md5$$"))) {
        return DjangoAlgorithm::unsalted_md5;
    }
    if (e.size() == 46 && e.starts_with("sha1$$")) return DjangoAlgorithm::unsalted_sha1;
    std::string_view algorithm = e.substr(0, e.find('$'));
    if (algorithm.size() == e.size()) return DjangoAlgorithm::none;
    if (algorithm == "pbkdf2_sha256") return DjangoAlgorithm::pbkdf2_sha256;
    if (algorithm == "pbkdf2_sha1") return DjangoAlgorithm::pbkdf2_sha1;
    if (algorithm == "argon2") return DjangoAlgorithm::argon2;
    if (algorithm == "bcrypt_sha256") return DjangoAlgorithm::bcrypt_sha256;
    if (algorithm == "bcrypt") return DjangoAlgorithm::bcrypt;
    if (algorithm == "scrypt") return DjangoAlgorithm::scrypt;
    if (algorithm == "md5") return DjangoAlgorithm::md5;
    if (algorithm == "sha1") return DjangoAlgorithm::sha1;
    return DjangoAlgorithm::none;
}

bool verify_django_hash(std::string_view e, std::string_view password) {
    if (e.size() > kMaxEncoded || password.size() > 4096) return false;
    switch (identify_django_hash(e)) {
        case DjangoAlgorithm::none:
        case DjangoAlgorithm::unusable:
            return false;
        case DjangoAlgorithm::pbkdf2_sha256:
            return verify_pbkdf2(e, password, EVP_sha256());
        case DjangoAlgorithm::pbkdf2_sha1:
            return verify_pbkdf2(e, password, EVP_sha1());
        case DjangoAlgorithm::argon2:
            return verify_argon2(e, password);
        case DjangoAlgorithm::bcrypt:
            return verify_bcrypt(e.substr(7), password);
        case DjangoAlgorithm::bcrypt_sha256: {
            std::string hex = hex_digest(EVP_sha256(), password);
            bool ok = !hex.empty() && verify_bcrypt(e.substr(14), hex);
            OPENSSL_cleanse(hex.data(), hex.size());
            return ok;
        }
        case DjangoAlgorithm::scrypt:
            return verify_scrypt(e, password);
        case DjangoAlgorithm::md5:
            return verify_salted(e, password, EVP_md5());
        case DjangoAlgorithm::sha1:
            return verify_salted(e, password, EVP_sha1());
        case DjangoAlgorithm::unsalted_md5:
            return equal_ct(hex_digest(EVP_md5(), password), e.size() == 37 ? e.substr(5) : e);
        case DjangoAlgorithm::unsalted_sha1:
            return equal_ct(hex_digest(EVP_sha1(), password), e.substr(6));
    }
    return false;
}

}  // namespace authd::auth
