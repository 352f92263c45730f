// Django's default password validators (django/contrib/auth/password_validation.py)
// re-implemented over code points, with the embedded common-password list.
#include "auth/password_policy.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "auth/common_passwords.hpp"
#include "auth/unicode_text.hpp"

namespace authd::auth {

namespace {

// Django's exceeds_maximum_length_ratio: a value this much shorter than the password can
// never reach max_similarity, so the matcher is skipped. Same float arithmetic as Python.
bool exceeds_maximum_length_ratio(std::size_t pwd_len, double max_similarity,
                                  std::size_t value_len) {
    const double length_bound_similarity = max_similarity / 2 * static_cast<double>(pwd_len);
    return pwd_len >= 10 * value_len && static_cast<double>(value_len) < length_bound_similarity;
}

// re.split(r"\W+", value) + [value]: the empty leading/trailing parts Python produces are
// kept, since Django compares them too.
std::vector<std::u32string_view> value_parts(std::u32string_view value) {
    std::vector<std::u32string_view> parts;
    std::size_t start = 0;
    std::size_t i = 0;
    while (i < value.size()) {
        if (is_word_char(value[i])) {
            ++i;
            continue;
        }
        parts.push_back(value.substr(start, i - start));
        while (i < value.size() && !is_word_char(value[i])) ++i;
        start = i;
    }
    parts.push_back(value.substr(start));
    parts.push_back(value);
    return parts;
}

bool too_similar(std::u32string_view password_lower, std::string_view value) {
    if (value.empty()) return false;
    const std::u32string value_lower = to_lower(to_code_points(value));
    for (std::u32string_view part : value_parts(value_lower)) {
        if (exceeds_maximum_length_ratio(password_lower.size(), kPasswordMaxSimilarity,
                                         part.size()))
            continue;
        if (quick_ratio(password_lower, part) >= kPasswordMaxSimilarity) return true;
    }
    return false;
}

std::u32string_view strip_space(std::u32string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// Python's str.isdigit(): non-empty and every character a digit.
bool is_entirely_numeric(std::u32string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char32_t cp) { return is_digit(cp); });
}

// The verbose name of the first attribute (Django's order) that is too similar.
std::string_view similar_attribute(std::u32string_view password_lower, const PasswordContext& ctx) {
    const std::array<std::pair<std::string_view, std::string_view>, 4> attributes{{
        {ctx.username, "username"},
        {ctx.first_name, "first name"},
        {ctx.last_name, "last name"},
        {ctx.email, "email address"},
    }};
    for (const auto& [value, verbose_name] : attributes) {
        if (too_similar(password_lower, value)) return verbose_name;
    }
    return {};
}

}  // namespace

double quick_ratio(std::u32string_view a, std::u32string_view b) {
    const std::size_t total = a.size() + b.size();
    if (total == 0) return 1.0;
    std::u32string sa(a), sb(b);
    std::sort(sa.begin(), sa.end());
    std::sort(sb.begin(), sb.end());
    std::size_t matches = 0;
    for (std::size_t i = 0, j = 0; i < sa.size() && j < sb.size();) {
        if (sa[i] < sb[j]) {
            ++i;
        } else if (sb[j] < sa[i]) {
            ++j;
        } else {
            ++matches, ++i, ++j;
        }
    }
    return 2.0 * static_cast<double>(matches) / static_cast<double>(total);
}

std::string_view too_similar_attribute(std::string_view password, const PasswordContext& ctx) {
    return similar_attribute(to_lower(to_code_points(password)), ctx);
}

std::vector<std::string> validate_password(std::string_view password, const PasswordContext& ctx) {
    std::vector<std::string> errors;
    const std::u32string cps = to_code_points(password);
    if (cps.size() > kPasswordMaxLength) {
        errors.emplace_back(kPasswordTooLongMessage);
        return errors;
    }
    const std::u32string lower = to_lower(cps);
    const std::string_view similar = similar_attribute(lower, ctx);
    if (!similar.empty()) {
        errors.push_back("The password is too similar to the " + std::string(similar) + ".");
    }
    if (cps.size() < kPasswordMinLength) errors.emplace_back(kPasswordTooShortMessage);
    if (is_common_password(to_utf8(strip_space(lower))))
        errors.emplace_back(kPasswordTooCommonMessage);
    if (is_entirely_numeric(cps)) errors.emplace_back(kPasswordNumericMessage);
    return errors;
}

}  // namespace authd::auth
