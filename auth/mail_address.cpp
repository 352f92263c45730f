// Mail address validation and IDNA punycode: everything that reaches an SMTP envelope or a
// header line passes through here, so no caller can smuggle CR/LF into a message.
#include "auth/mail_address.hpp"

#include <cstdint>

#include "auth/unicode_text.hpp"

namespace authd::auth {
namespace {

constexpr size_t kLabelMaxLength = 63;
constexpr size_t kDisplayMaxLength = 200;

bool is_atext(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    for (char s : std::string_view("!#$%&'*+-/=?^_`{|}~")) {
        if (c == static_cast<unsigned char>(s)) return true;
    }
    return false;
}

bool is_ldh(char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// Dot-atom: atoms of atext separated by single dots.
bool valid_local_part(std::string_view local) {
    if (local.empty() || local.front() == '.' || local.back() == '.') return false;
    char prev = 0;
    for (char c : local) {
        if (c == '.' ? prev == '.' : !is_atext(static_cast<unsigned char>(c))) return false;
        prev = c;
    }
    return true;
}

// One domain label, lower-cased, punycoded when it holds non-ASCII letters.
std::optional<std::string> normalize_label(std::string_view label) {
    if (label.empty()) return std::nullopt;
    std::u32string cps;
    bool ascii = true;
    for (size_t pos = 0; pos < label.size();) {
        auto cp = decode_utf8(label, pos);
        if (!cp || is_control(*cp) || is_space(*cp) || *cp == 0xFFFD) return std::nullopt;
        if (*cp < 0x80 && !is_ldh(*cp)) return std::nullopt;
        if (*cp >= 0x80) ascii = false;
        cps.push_back(*cp);
    }
    cps = to_lower(cps);
    std::string out;
    if (ascii) {
        for (char32_t c : cps) out.push_back(static_cast<char>(c));
    } else {
        auto encoded = punycode_encode(cps);
        if (!encoded) return std::nullopt;
        out = "xn--" + *encoded;
    }
    if (out.size() > kLabelMaxLength) return std::nullopt;
    return out;
}

std::optional<std::string> normalize_domain(std::string_view domain) {
    std::string out;
    for (;;) {
        size_t dot = domain.find('.');
        auto label = normalize_label(domain.substr(0, dot));
        if (!label) return std::nullopt;
        out += *label;
        if (dot == std::string_view::npos) return out;
        out += '.';
        domain.remove_prefix(dot + 1);
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Display names come from configuration; still, no control characters and valid UTF-8.
bool valid_display_name(std::string_view name) {
    if (name.size() > kDisplayMaxLength) return false;
    for (size_t pos = 0; pos < name.size();) {
        auto cp = decode_utf8(name, pos);
        if (!cp || is_control(*cp)) return false;
    }
    return true;
}

// RFC 3492 §6.1.
uint32_t adapt_bias(uint32_t delta, uint32_t points, bool first) {
    constexpr uint32_t base = 36, tmin = 1, tmax = 26, skew = 38, damp = 700;
    delta = first ? delta / damp : delta / 2;
    delta += delta / points;
    uint32_t k = 0;
    while (delta > ((base - tmin) * tmax) / 2) {
        delta /= base - tmin;
        k += base;
    }
    return k + (base - tmin + 1) * delta / (delta + skew);
}

char punycode_digit(uint32_t d) {
    return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26));
}

}  // namespace

std::optional<std::string> punycode_encode(std::u32string_view label) {
    constexpr uint32_t base = 36, tmin = 1, tmax = 26, max_u32 = UINT32_MAX;
    std::string out;
    for (char32_t c : label) {
        if (c < 0x80) out.push_back(static_cast<char>(c));
    }
    const uint32_t basic = static_cast<uint32_t>(out.size());
    if (basic > 0) out.push_back('-');
    uint32_t n = 0x80, delta = 0, bias = 72, handled = basic;
    while (handled < label.size()) {
        uint32_t m = max_u32;
        for (char32_t c : label) {
            if (c >= n && c < m) m = c;
        }
        if (m - n > (max_u32 - delta) / (handled + 1)) return std::nullopt;
        delta += (m - n) * (handled + 1);
        n = m;
        for (char32_t c : label) {
            if (c < n && ++delta == 0) return std::nullopt;
            if (c != n) continue;
            uint32_t q = delta;
            for (uint32_t k = base;; k += base) {
                uint32_t t = k <= bias ? tmin : k >= bias + tmax ? tmax : k - bias;
                if (q < t) break;
                out.push_back(punycode_digit(t + (q - t) % (base - t)));
                q = (q - t) / (base - t);
            }
            out.push_back(punycode_digit(q));
            bias = adapt_bias(delta, handled + 1, handled == basic);
            delta = 0;
            ++handled;
        }
        ++delta;
        ++n;
    }
    return out;
}

std::optional<std::string> normalize_mail_address(std::string_view address) {
    if (address.size() > 4 * kMailAddressMaxLength) return std::nullopt;
    size_t at = address.find('@');
    if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view local = address.substr(0, at);
    if (!valid_local_part(local)) return std::nullopt;
    auto domain = normalize_domain(address.substr(at + 1));
    if (!domain) return std::nullopt;
    std::string out;
    out.reserve(local.size() + 1 + domain->size());
    out.append(local).append(1, '@').append(*domain);
    if (out.size() > kMailAddressMaxLength) return std::nullopt;
    return out;
}

std::optional<Mailbox> parse_mailbox(std::string_view text) {
    text = trim(text);
    Mailbox box;
    if (!text.empty() && text.back() == '>') {
        size_t open = text.rfind('<');
        if (open == std::string_view::npos) return std::nullopt;
        std::string_view display = trim(text.substr(0, open));
        // A quoted display name ("Site, Inc." <a@b>) loses its quotes; they are re-added on output.
        if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
            display = display.substr(1, display.size() - 2);
        }
        if (!valid_display_name(display)) return std::nullopt;
        box.display = std::string(display);
        text = text.substr(open + 1, text.size() - open - 2);
    }
    auto address = normalize_mail_address(text);
    if (!address) return std::nullopt;
    box.address = std::move(*address);
    return box;
}

}  // namespace authd::auth
