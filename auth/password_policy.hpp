// Django's four default password validators (similarity, minimum length, common, numeric)
// plus a length bound, reporting every failure with Django's messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace authd::auth {

inline constexpr std::size_t kPasswordMinLength = 8;
inline constexpr std::size_t kPasswordMaxLength = 1024;  // code points
inline constexpr double kPasswordMaxSimilarity = 0.7;

inline constexpr std::string_view kPasswordTooShortMessage =
    "This password is too short. It must contain at least 8 characters.";
inline constexpr std::string_view kPasswordTooCommonMessage = "This password is too common.";
inline constexpr std::string_view kPasswordNumericMessage = "This password is entirely numeric.";
inline constexpr std::string_view kPasswordTooLongMessage =
    "Ensure this field has no more than 1024 characters.";

// The user's attributes the similarity check compares with (empty = absent). Django's
// order: username, first name, last name, email address.
struct PasswordContext {
    std::string_view username;
    std::string_view email;
    std::string_view first_name;
    std::string_view last_name;
};

// Every failure, in Django's order. A password over 1024 code points gets only the
// too-long message (the other checks are skipped). Lengths count code points; lower-casing
// is Python's str.lower(); malformed UTF-8 is decoded with U+FFFD replacements.
std::vector<std::string> validate_password(std::string_view password, const PasswordContext& ctx);

// difflib.SequenceMatcher(a=a, b=b).quick_ratio(): 2*M/T where M is the size of the
// multiset intersection and T the total length; 1.0 when both are empty.
double quick_ratio(std::u32string_view a, std::u32string_view b);

// UserAttributeSimilarityValidator alone: the verbose name of the first attribute the
// password is too similar to ("username", "first name", "last name", "email address"), or
// an empty view.
std::string_view too_similar_attribute(std::string_view password, const PasswordContext& ctx);

}  // namespace authd::auth
