// auth/jwt_claims.cpp — JSON writer and strict parser for JWT claims. The parser runs on the token
// hot path: no allocation, one pass, every byte of the object checked even in members it does not
// need.
#include "auth/jwt_claims.hpp"

#include <bit>
#include <charconv>
#include <cstring>
#include <limits>

namespace authd::auth {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr int kMaxSkipDepth = 32;  // nesting allowed inside members we skip; bounds the recursion

// Decodes one UTF-8 scalar value starting at p (which is < end) per RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF. Advances p past it and returns the code point, or returns -1
// leaving p unchanged.
int32_t decode_utf8(const unsigned char*& p, const unsigned char* end) {
    const unsigned char c = p[0];
    if (c < 0x80) {
        ++p;
        return c;
    }
    int length;
    int32_t cp;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        length = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        length = 3, cp = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        length = 4, cp = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return -1;
    }
    if (end - p < length) return -1;
    if (p[1] < lo || p[1] > hi) return -1;
    for (int i = 1; i < length; ++i) {
        if ((p[i] & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    p += length;
    return cp;
}

char* encode_utf8(int32_t cp, char* out) {
    if (cp < 0x80) {
        *out++ = static_cast<char>(cp);
    } else if (cp < 0x800) {
        *out++ = static_cast<char>(0xC0 | (cp >> 6));
        *out++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *out++ = static_cast<char>(0xE0 | (cp >> 12));
        *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        *out++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        *out++ = static_cast<char>(0xF0 | (cp >> 18));
        *out++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        *out++ = static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
}

// ---- writer ----

void append_u_escape(std::string& out, uint32_t unit) {
    const char esc[6] = {'\\',
                         'u',
                         kHex[(unit >> 12) & 15],
                         kHex[(unit >> 8) & 15],
                         kHex[(unit >> 4) & 15],
                         kHex[unit & 15]};
    out.append(esc, sizeof esc);
}

// Python's json.dumps(ensure_ascii=True): printable ASCII as is, short escapes for " \ \b \f \n \r
// \t, \u00XX for other control characters and DEL, \uXXXX (surrogate pairs above U+FFFF) for the
// rest.
void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* const end = p + text.size();
    while (p != end) {
        const unsigned char c = *p;
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            out.push_back(static_cast<char>(c));
            ++p;
            continue;
        }
        const char* short_escape = nullptr;
        switch (c) {
            case '"':
                short_escape = "\\\"";
                break;
            case '\\':
                short_escape = "\\\\";
                break;
            case '\b':
                short_escape = "\\b";
                break;
            case '\f':
                short_escape = "\\f";
                break;
            case '\n':
                short_escape = "\\n";
                break;
            case '\r':
                short_escape = "\\r";
                break;
            case '\t':
                short_escape = "\\t";
                break;
            default:
                break;
        }
        if (short_escape != nullptr) {
            out.append(short_escape, 2);
            ++p;
            continue;
        }
        int32_t cp = decode_utf8(p, end);
        if (cp < 0) {
            cp = 0xFFFD;  // a byte that starts no valid sequence stands for one replacement
                          // character
            ++p;
        }
        if (cp >= 0x10000) {
            append_u_escape(out, 0xD800 + ((static_cast<uint32_t>(cp) - 0x10000) >> 10));
            append_u_escape(out, 0xDC00 + ((static_cast<uint32_t>(cp) - 0x10000) & 0x3FF));
        } else {
            append_u_escape(out, static_cast<uint32_t>(cp));
        }
    }
    out.push_back('"');
}

void append_int(std::string& out, int64_t value) {
    char buf[24];
    const auto result = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, result.ptr);
}

// ---- parser ----

enum Claim : int {
    kTokenType,
    kExp,
    kIat,
    kJti,
    kUserId,
    kUsername,
    kRole,
    kSid,
    kTv,
    kClaimCount
};
constexpr uint32_t kAllClaims = (1u << kClaimCount) - 1;

template <std::size_t N>
bool key_is(std::string_view key,
            const char (&name)[N]) {  // constant-length memcmp: inlined, no libc call
    return key.size() == N - 1 && std::memcmp(key.data(), name, N - 1) == 0;
}

int claim_index(std::string_view key) {
    switch (key.size()) {
        case 2:
            return key_is(key, "tv") ? kTv : -1;
        case 3:
            if (key_is(key, "exp")) return kExp;
            if (key_is(key, "iat")) return kIat;
            if (key_is(key, "jti")) return kJti;
            return key_is(key, "sid") ? kSid : -1;
        case 4:
            return key_is(key, "role") ? kRole : -1;
        case 7:
            return key_is(key, "user_id") ? kUserId : -1;
        case 8:
            return key_is(key, "username") ? kUsername : -1;
        case 10:
            return key_is(key, "token_type") ? kTokenType : -1;
        default:
            return -1;
    }
}

// A string byte that needs no decoding: printable ASCII other than the quote and the backslash.
bool is_plain(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && u != '"' && u != '\\';
}

// Index (0..7) of the first byte of the 8 at p that is not is_plain, or 8. SWAR: the lowest flagged
// byte of each has-zero / has-less-than mask is exact (borrows only run upwards), so the lowest of
// their union is too.
unsigned first_special8(const char* p) {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    uint64_t x;
    std::memcpy(&x, p, sizeof x);
    if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
    const auto zero_byte = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    const uint64_t mask = zero_byte(x ^ (kOnes * '"')) | zero_byte(x ^ (kOnes * '\\')) |
                          ((x - kOnes * 0x20) & ~x & kHigh) | (x & kHigh);
    return mask == 0 ? 8 : static_cast<unsigned>(__builtin_ctzll(mask)) / 8;
}

const char* skip_plain(const char* p, const char* end) {
    while (end - p >= 8) {
        const unsigned plain = first_special8(p);
        p += plain;
        if (plain < 8) return p;
    }
    while (p != end && is_plain(*p)) ++p;
    return p;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

struct Reader {
    const char* p;
    const char* end;
    char* out;  // next free byte for decoded strings
    char* out_end;

    bool at(char c) const { return p != end && *p == c; }
    bool eat(char c) {
        if (!at(c)) return false;
        ++p;
        return true;
    }
    void skip_ws() {
        while (p != end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
    }
    bool eat_literal(std::string_view word) {
        if (static_cast<std::size_t>(end - p) < word.size() ||
            std::memcmp(p, word.data(), word.size()) != 0) {
            return false;
        }
        p += word.size();
        return true;
    }

    bool read_hex4(uint32_t& unit) {
        if (end - p < 4) return false;
        unit = 0;
        for (int i = 0; i < 4; ++i) {
            const int v = hex_value(p[i]);
            if (v < 0) return false;
            unit = unit << 4 | static_cast<uint32_t>(v);
        }
        p += 4;
        return true;
    }

    // After the backslash: one escape, written as UTF-8 to dst. A high surrogate must pair with a
    // low one.
    bool read_escape(char*& dst) {
        if (p == end) return false;
        const char c = *p++;
        switch (c) {
            case '"':
                *dst++ = '"';
                return true;
            case '\\':
                *dst++ = '\\';
                return true;
            case '/':
                *dst++ = '/';
                return true;
            case 'b':
                *dst++ = '\b';
                return true;
            case 'f':
                *dst++ = '\f';
                return true;
            case 'n':
                *dst++ = '\n';
                return true;
            case 'r':
                *dst++ = '\r';
                return true;
            case 't':
                *dst++ = '\t';
                return true;
            case 'u':
                break;
            default:
                return false;
        }
        uint32_t unit;
        if (!read_hex4(unit)) return false;
        if (unit >= 0xDC00 && unit <= 0xDFFF) return false;
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            uint32_t low;
            if (!eat('\\') || !eat('u') || !read_hex4(low) || low < 0xDC00 || low > 0xDFFF)
                return false;
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        }
        dst = encode_utf8(static_cast<int32_t>(unit), dst);
        return true;
    }

    // Rest of a string whose first `prefix` bytes (at `start`) were plain ASCII: decode into `out`.
    bool read_string_slow(const char* start, std::size_t prefix, std::string_view& value) {
        // Decoding never grows the text, so the rest of the input bounds the output; checked once
        // here.
        if (static_cast<std::size_t>(out_end - out) < static_cast<std::size_t>(end - start))
            return false;
        char* dst = out;
        std::memcpy(dst, start, prefix);
        dst += prefix;
        while (p != end) {
            const unsigned char c = static_cast<unsigned char>(*p);
            if (c == '"') {
                ++p;
                value = std::string_view(out, static_cast<std::size_t>(dst - out));
                out = dst;
                return true;
            }
            if (c == '\\') {
                ++p;
                if (!read_escape(dst)) return false;
            } else if (c < 0x20) {
                return false;
            } else if (c < 0x80) {
                *dst++ = static_cast<char>(c);
                ++p;
            } else {
                auto* u = reinterpret_cast<const unsigned char*>(p);
                const auto* first = u;
                if (decode_utf8(u, reinterpret_cast<const unsigned char*>(end)) < 0) return false;
                const auto length = static_cast<std::size_t>(u - first);
                std::memcpy(dst, p, length);
                dst += length;
                p += length;
            }
        }
        return false;
    }

    bool read_string(std::string_view& value) {
        if (!eat('"')) return false;
        const char* const start = p;
        p = skip_plain(p, end);  // fast path: printable ASCII without escapes is viewed in place
        if (p != end && *p == '"') {
            value = std::string_view(start, static_cast<std::size_t>(p - start));
            ++p;
            return true;
        }
        return read_string_slow(start, static_cast<std::size_t>(p - start), value);
    }

    // An integer in JSON's grammar (no leading zeros); a fraction or exponent makes it not an
    // integer.
    bool read_int64(int64_t& value) {
        const bool negative = eat('-');
        if (p == end || !is_digit(*p)) return false;
        uint64_t magnitude = 0;
        if (*p == '0') {
            ++p;
        } else {
            // 19 decimal digits always fit in uint64_t, so the loop needs no overflow test; a 20th
            // is too many.
            const char* const digits_end = end - p > 19 ? p + 19 : end;
            while (p != digits_end && is_digit(*p))
                magnitude = magnitude * 10 + static_cast<uint64_t>(*p++ - '0');
        }
        if (at('.') || at('e') || at('E') || (p != end && is_digit(*p))) return false;
        const uint64_t limit = negative
                                   ? uint64_t{1} << 63
                                   : static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
        if (magnitude > limit) return false;
        value = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
        return true;
    }

    bool skip_digits() {
        if (p == end || !is_digit(*p)) return false;
        while (p != end && is_digit(*p)) ++p;
        return true;
    }

    bool skip_number() {
        eat('-');
        if (eat('0')) {
            if (p != end && is_digit(*p)) return false;
        } else if (!skip_digits()) {
            return false;
        }
        if (eat('.') && !skip_digits()) return false;
        if (eat('e') || eat('E')) {
            if (!eat('+')) eat('-');
            if (!skip_digits()) return false;
        }
        return true;
    }

    bool skip_value(int depth);

    // Shared loop of arrays and objects: elements separated by commas until `close`.
    bool skip_container(char close, bool members, int depth) {
        if (depth > kMaxSkipDepth) return false;
        skip_ws();
        if (eat(close)) return true;
        while (true) {
            if (members) {
                std::string_view key;
                if (!read_string(key)) return false;
                skip_ws();
                if (!eat(':')) return false;
                skip_ws();
            }
            if (!skip_value(depth)) return false;
            skip_ws();
            if (eat(close)) return true;
            if (!eat(',')) return false;
            skip_ws();
        }
    }
};

bool Reader::skip_value(int depth) {
    if (p == end) return false;
    std::string_view ignored;
    switch (*p) {
        case '"':
            return read_string(ignored);
        case '{':
            ++p;
            return skip_container('}', true, depth + 1);
        case '[':
            ++p;
            return skip_container(']', false, depth + 1);
        case 't':
            return eat_literal("true");
        case 'f':
            return eat_literal("false");
        case 'n':
            return eat_literal("null");
        default:
            return skip_number();
    }
}

bool read_claim(Reader& r, int claim, ClaimsView& out) {
    int64_t number;
    switch (claim) {
        case kTokenType: {
            std::string_view type;
            if (!r.read_string(type)) return false;
            if (type == "access") {
                out.token_type = TokenType::access;
            } else if (type == "refresh") {
                out.token_type = TokenType::refresh;
            } else {
                return false;
            }
            return true;
        }
        case kExp:
            return r.read_int64(out.exp);
        case kIat:
            return r.read_int64(out.iat);
        case kJti:
            return r.read_string(out.jti);
        case kUserId:
            return r.read_int64(out.user_id) && out.user_id > 0;
        case kUsername:
            return r.read_string(out.username);
        case kRole:
            return r.read_string(out.role);
        case kSid:
            return r.read_string(out.sid);
        case kTv:
            if (!r.read_int64(number) || number < 0 ||
                number > std::numeric_limits<uint32_t>::max())
                return false;
            out.tv = static_cast<uint32_t>(number);
            return true;
        default:
            return false;
    }
}

}  // namespace

std::string_view to_string(TokenType type) {
    return type == TokenType::access ? "access" : "refresh";
}

Claims to_claims(const ClaimsView& view) {
    return Claims{view.token_type,
                  view.exp,
                  view.iat,
                  std::string(view.jti),
                  view.user_id,
                  std::string(view.username),
                  std::string(view.role),
                  std::string(view.sid),
                  view.tv};
}

void write_claims_json(const Claims& claims, std::string& out) {
    out.append(R"({"token_type":")").append(to_string(claims.token_type)).append(R"(","exp":)");
    append_int(out, claims.exp);
    out.append(R"(,"iat":)");
    append_int(out, claims.iat);
    out.append(R"(,"jti":)");
    append_json_string(out, claims.jti);
    out.append(R"(,"user_id":)");
    append_int(out, claims.user_id);
    out.append(R"(,"username":)");
    append_json_string(out, claims.username);
    out.append(R"(,"role":)");
    append_json_string(out, claims.role);
    out.append(R"(,"sid":)");
    append_json_string(out, claims.sid);
    out.append(R"(,"tv":)");
    append_int(out, claims.tv);
    if (!claims.iss.empty()) {
        out.append(R"(,"iss":)");
        append_json_string(out, claims.iss);
    }
    out.push_back('}');
}

bool parse_claims_json(std::string_view json, char* strings, std::size_t strings_capacity,
                       ClaimsView& out, ClaimSet set) {
    Reader r{json.data(), json.data() + json.size(), strings, strings + strings_capacity};
    r.skip_ws();
    if (!r.eat('{')) return false;
    r.skip_ws();
    uint32_t seen = 0;
    if (!r.eat('}')) {
        while (true) {
            std::string_view key;
            if (!r.read_string(key)) return false;
            r.skip_ws();
            if (!r.eat(':')) return false;
            r.skip_ws();
            const int claim = claim_index(key);
            if (claim < 0) {
                if (!r.skip_value(1)) return false;
            } else {
                if ((seen & (1u << claim)) != 0)
                    return false;  // duplicates: readers disagree on which one wins
                seen |= 1u << claim;
                if (!read_claim(r, claim, out)) return false;
            }
            r.skip_ws();
            if (r.eat('}')) break;
            if (!r.eat(',')) return false;
            r.skip_ws();
        }
    }
    r.skip_ws();
    if (r.p != r.end) return false;
    if (set == ClaimSet::authd) return seen == kAllClaims;
    constexpr uint32_t core =
        (1u << kTokenType) | (1u << kExp) | (1u << kIat) | (1u << kJti) | (1u << kUserId);
    return (seen & core) == core && (seen & ((1u << kSid) | (1u << kTv))) == 0;
}

}  // namespace authd::auth
