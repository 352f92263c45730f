// Case folding for the store's case-insensitive keys (username, email) and search text.
#pragma once
#include <string>
#include <string_view>

namespace authd::store {

// Lower-cases UTF-8 text: ASCII exactly, and Python str.lower()'s simple mappings for
// Latin-1, Latin Extended-A/-B (the regular pairs), Latin Extended Additional, Greek,
// Cyrillic, Armenian, Georgian, Glagolitic, Deseret, Roman numerals, circled and
// fullwidth letters. Other scripts (and invalid UTF-8 bytes) pass through unchanged, so
// two spellings collide only when they truly differ by case.
std::string fold_case(std::string_view text);
void append_folded(std::string& out, std::string_view text);

}  // namespace authd::store
