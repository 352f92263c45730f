// UTF-8 decoding and the few Unicode character classes the validators need (Python's
// str.lower / str.isdigit / str.isspace and an approximation of the regex class \w).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace authd::auth {

// Decodes the code point starting at s[pos] and advances pos past it. Strict: overlong
// forms, surrogates, values above U+10FFFF and truncated sequences give nullopt (pos is
// then advanced by one byte so a caller can resynchronise).
std::optional<char32_t> decode_utf8(std::string_view s, std::size_t& pos);

bool is_valid_utf8(std::string_view s);

// Number of code points (what Django/DRF call "characters"). For malformed input every
// byte that is not a continuation byte counts as one.
std::size_t utf8_length(std::string_view s);

// Decodes to code points; malformed bytes become U+FFFD, as Python's "replace" would.
std::u32string to_code_points(std::string_view s);

void append_utf8(std::string& out, char32_t cp);
std::string to_utf8(std::u32string_view cps);

// C0 controls, DEL and the C1 controls.
bool is_control(char32_t cp);

// Exactly Python's str.isspace() for one character.
bool is_space(char32_t cp);

// Exactly Python's str.isdigit() for one character (Unicode 14 table).
bool is_digit(char32_t cp);

// Python's `\w` for str patterns (alphanumeric or '_'), approximated: exact for ASCII
// and Latin-1; above that, every code point counts as a word character except ranges that
// hold no letters or digits (combining marks U+0300–036F, General Punctuation, arrows and
// math/box/shape/dingbat symbols, CJK punctuation, fullwidth ASCII punctuation, private
// use, variation selectors, specials, emoji). So some symbols of other scripts are
// accepted where Python would refuse them; no letter or digit is ever refused.
bool is_word_char(char32_t cp);

// Appends Python's str.lower() of one code point (exact simple mappings from Unicode 14,
// plus U+0130 which lower-cases to two code points).
void append_lower(std::u32string& out, char32_t cp);

// Python's s.lower() over a whole code point string.
std::u32string to_lower(std::u32string_view s);

}  // namespace authd::auth
