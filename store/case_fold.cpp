// UTF-8 lower-casing by code-point ranges (the regular parts of Unicode's case tables).
#include "store/case_fold.hpp"

#include <cstdint>

namespace authd::store {
namespace {

bool even(char32_t c) {
    return (c & 1) == 0;
}

// Lower case of one code point; U+0130 is handled by the caller (it folds to two).
char32_t lower_bmp_latin(char32_t c) {
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
    if (c >= 0x100 && c <= 0x137) return even(c) ? c + 1 : c;
    if (c >= 0x139 && c <= 0x148) return even(c) ? c : c + 1;
    if (c >= 0x14A && c <= 0x177) return even(c) ? c + 1 : c;
    if (c == 0x178) return 0xFF;
    if (c >= 0x179 && c <= 0x17E) return even(c) ? c : c + 1;
    if (c == 0x1C4 || c == 0x1C7 || c == 0x1CA || c == 0x1F1) return c + 2;
    if (c == 0x1C5 || c == 0x1C8 || c == 0x1CB || c == 0x1F2) return c + 1;
    if (c >= 0x1CD && c <= 0x1DC) return even(c) ? c : c + 1;
    if ((c >= 0x1DE && c <= 0x1EF) || c == 0x1F4 || (c >= 0x1F8 && c <= 0x21F) ||
        (c >= 0x222 && c <= 0x233) || (c >= 0x246 && c <= 0x24F)) {
        return even(c) ? c + 1 : c;
    }
    return c;
}

char32_t lower_greek_cyrillic(char32_t c) {
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 63;
    if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) return c + 32;
    if (c >= 0x3D8 && c <= 0x3EF) return even(c) ? c + 1 : c;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F)) {
        return even(c) ? c + 1 : c;
    }
    if (c == 0x4C0) return 0x4CF;
    if (c >= 0x4C1 && c <= 0x4CE) return even(c) ? c : c + 1;
    if (c >= 0x531 && c <= 0x556) return c + 48;
    return c;
}

char32_t lower_other(char32_t c) {
    if (c >= 0x10A0 && c <= 0x10C5) return c + 0x1C60;  // Georgian Asomtavruli
    if (c == 0x10C7 || c == 0x10CD) return c + 0x1C60;
    if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF)) return even(c) ? c + 1 : c;
    if (c == 0x1E9E) return 0xDF;
    if (c >= 0x1F08 && c <= 0x1F6F && (c & 0xF) >= 8) {  // Greek Extended, regular rows
        unsigned row = (c >> 4) & 0xF;
        if (row == 0 || row == 2 || row == 3 || row == 6) return c - 8;
        if ((row == 1 || row == 4) && (c & 0xF) <= 0xD) return c - 8;
        if (row == 5 && (c & 1)) return c - 8;
    }
    if (c >= 0x2160 && c <= 0x216F) return c + 16;
    if (c >= 0x24B6 && c <= 0x24CF) return c + 26;
    if (c >= 0x2C00 && c <= 0x2C2F) return c + 48;
    if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
    if (c >= 0x10400 && c <= 0x10427) return c + 40;
    return c;
}

char32_t lower(char32_t c) {
    if (c < 0x250) return lower_bmp_latin(c);
    if (c < 0x600) return lower_greek_cyrillic(c);
    return lower_other(c);
}

void put_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

bool cont(unsigned char b) {
    return (b & 0xC0) == 0x80;
}

// Decodes a well-formed multi-byte sequence at s[i]; 0 length when it is not one.
size_t decode(std::string_view s, size_t i, char32_t& c) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    size_t left = s.size() - i;
    unsigned char b0 = b(0);
    if (b0 >= 0xC2 && b0 <= 0xDF && left >= 2 && cont(b(1))) {
        c = ((b0 & 0x1Fu) << 6) | (b(1) & 0x3Fu);
        return 2;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF && left >= 3 && cont(b(1)) && cont(b(2))) {
        c = ((b0 & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
        return (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) ? 3 : 0;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4 && left >= 4 && cont(b(1)) && cont(b(2)) && cont(b(3))) {
        c = ((b0 & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
        return (c >= 0x10000 && c <= 0x10FFFF) ? 4 : 0;
    }
    return 0;
}

}  // namespace

void append_folded(std::string& out, std::string_view s) {
    out.reserve(out.size() + s.size());
    for (size_t i = 0; i < s.size();) {
        auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            out += (b >= 'A' && b <= 'Z') ? static_cast<char>(b + 32) : static_cast<char>(b);
            ++i;
            continue;
        }
        char32_t c = 0;
        size_t n = decode(s, i, c);
        if (n == 0) {  // not UTF-8: keep the byte as it is
            out += static_cast<char>(b);
            ++i;
            continue;
        }
        if (c == 0x130) {  // İ lower-cases to i + combining dot above, as in Python
            out += 'i';
            put_utf8(out, 0x307);
        } else {
            put_utf8(out, lower(c));
        }
        i += n;
    }
}

std::string fold_case(std::string_view text) {
    std::string out;
    append_folded(out, text);
    return out;
}

}  // namespace authd::store
