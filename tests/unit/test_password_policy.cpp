// Tests of auth/password_policy and auth/common_passwords against Django's validators.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/common_passwords.hpp"
#include "auth/password_policy.hpp"
#include "auth/unicode_text.hpp"

namespace authd::auth {
namespace {

using Messages = std::vector<std::string>;

struct DjangoCase {
    const char* password;
    PasswordContext ctx;  // username, email, first_name, last_name
    Messages expected;
};

// Expected messages produced by Django 3.2.25's validate_password() (default validators,
// with CommonPasswordValidator pointed at auth/data/common-passwords.txt.gz) for a
// django.contrib.auth.models.User(username, email, first_name, last_name).
const DjangoCase kDjangoCases[] = {
    {"johnsmith",
     {"johnsmith", "", "", ""},
     {"The password is too similar to the username.", "This password is too common."}},
    {"JohnSmith1", {"johnsmith", "", "", ""}, {"The password is too similar to the username."}},
    {"smithjohn99", {"johnsmith", "", "", ""}, {"The password is too similar to the username."}},
    {"htimsnhoj", {"johnsmith", "", "", ""}, {"The password is too similar to the username."}},
    {"xK9#mQ2$vL", {"johnsmith", "", "", ""}, {}},
    {"jonathan.doe",
     {"jd", "jonathan.doe@example.com", "Jonathan", "Doe"},
     {"The password is too similar to the first name."}},
    {"examplecom!",
     {"zz", "jonathan.doe@example.com", "", ""},
     {"The password is too similar to the email address."}},
    {"Doe-Family-77",
     {"zz", "", "", "Doe-Family"},
     {"The password is too similar to the last name."}},
    {"anna1234", {"user", "", "Anna", ""}, {}},
    {"a",
     {"abcdefghij", "", "", ""},
     {"This password is too short. It must contain at least 8 characters.",
      "This password is too common."}},
    {"abcdefghijklmnopqrstuvwxyz0123456789", {"xyz", "", "", ""}, {}},
    {"abcdefghijklmnopqrstuvwxyz", {"abc", "", "", ""}, {}},
    {"ZOËÇAFÉ123", {"zoëçafé", "", "", ""}, {"The password is too similar to the username."}},
    {"Пароль2024", {"user", "", "пароль", ""}, {"The password is too similar to the first name."}},
    {"",
     {".john", "", "", ""},
     {"The password is too similar to the username.",
      "This password is too short. It must contain at least 8 characters."}},
    {"",
     {"john", "", "", ""},
     {"This password is too short. It must contain at least 8 characters."}},
    {"12345678",
     {"u", "", "", ""},
     {"This password is too common.", "This password is entirely numeric."}},
    {"Password", {"u", "", "", ""}, {"This password is too common."}},
    {"  PASSWORD  ", {"u", "", "", ""}, {"This password is too common."}},
    {"1234",
     {"u", "", "", ""},
     {"This password is too short. It must contain at least 8 characters.",
      "This password is too common.", "This password is entirely numeric."}},
    {"٣٤٥٦٧٨٩١٢", {"u", "", "", ""}, {"This password is entirely numeric."}},
    {"²³¹⁴⁵⁶⁷⁸⁹", {"u", "", "", ""}, {"This password is entirely numeric."}},
    {"İstanbul99", {"istanbul", "", "", ""}, {"The password is too similar to the username."}},
    {"correct horse battery",
     {"staple", "horse@battery.org", "", ""},
     {"The password is too similar to the email address."}},
    {"maryjane.w@x.io",
     {"mjw", "MaryJane.W@X.IO", "", ""},
     {"The password is too similar to the email address."}},
    {"qwertyui", {"qwer", "", "", ""}, {"This password is too common."}},
    {"Tr0ub4dor&3", {"troubadour", "", "", ""}, {}},
    {"alicealice", {"alice", "", "", ""}, {}},
    {"alicealicealice", {"alice", "", "", ""}, {}},
    {"ecila_123", {"alice_123", "", "", ""}, {"The password is too similar to the username."}},
    {"anna123",
     {"user", "", "Anna", ""},
     {"The password is too similar to the first name.",
      "This password is too short. It must contain at least 8 characters.",
      "This password is too common."}},
    {"Ünïcödé-Pass", {"x", "", "ÜNÏCÖDÉ", ""}, {"The password is too similar to the first name."}},
    {"用户密码很安全",
     {"用户", "", "", ""},
     {"This password is too short. It must contain at least 8 characters."}},
    {"用户用户用户12", {"用户", "", "", ""}, {}},
    {"KKlvin-temp-9", {"x", "", "", ""}, {}},
    {"PASSWORD ", {"x", "", "", ""}, {"This password is too common."}},
    {"passw0rd\t", {"x", "", "", ""}, {"This password is too common."}},
    {"Aaaaaaaaaaaaaaaaaaaaaaaa", {"a", "", "", ""}, {}},
    {"zxcvbnmasdf", {"x", "", "", ""}, {}},
    {"b@ObsidianFox42",
     {"bob", "b@obsidianfox.example", "", ""},
     {"The password is too similar to the email address."}},
    {"Kathleen", {"x", "", "", ""}, {"This password is too common."}},
    {"Zoë-Zoë-Zoë", {"x", "", "Zoë", ""}, {}},
    {"pass word", {"x", "", "", ""}, {}},
    {"smith.j@@mail",
     {"x", "smith.j@mail.com", "", ""},
     {"The password is too similar to the email address."}},
};

TEST(PasswordPolicy, MatchesDjangoOnRecordedCases) {
    for (const DjangoCase& c : kDjangoCases) {
        EXPECT_EQ(validate_password(c.password, c.ctx), c.expected)
            << "password=\"" << c.password << "\" username=\"" << c.ctx.username << "\"";
    }
}

TEST(PasswordPolicy, StrongPasswordPasses) {
    const PasswordContext ctx{"alice", "alice@example.com", "Alice", "Liddell"};
    EXPECT_TRUE(validate_password("correct-Horse-battery-9", ctx).empty());
}

TEST(PasswordPolicy, AllFailuresReportedInDjangoOrder) {
    // Too similar to the username, too short, common and numeric at once.
    const PasswordContext ctx{"1234", "", "", ""};
    const Messages expected{
        "The password is too similar to the username.", std::string(kPasswordTooShortMessage),
        std::string(kPasswordTooCommonMessage), std::string(kPasswordNumericMessage)};
    EXPECT_EQ(validate_password("1234", ctx), expected);
}

TEST(PasswordPolicy, ExactDjangoMessages) {
    const PasswordContext none{};
    EXPECT_EQ(validate_password("Xy9!", none),
              Messages{"This password is too short. It must contain at least 8 characters."});
    EXPECT_EQ(validate_password("password", none), Messages{"This password is too common."});
    EXPECT_EQ(validate_password("90817263544", none),
              Messages{"This password is entirely numeric."});
}

TEST(PasswordPolicy, VerboseNamesOfEachAttribute) {
    EXPECT_EQ(validate_password("Margaretha-7", {"margaretha", "", "", ""}),
              Messages{"The password is too similar to the username."});
    EXPECT_EQ(validate_password("Margaretha-7", {"u", "", "Margaretha", ""}),
              Messages{"The password is too similar to the first name."});
    EXPECT_EQ(validate_password("Margaretha-7", {"u", "", "", "Margaretha"}),
              Messages{"The password is too similar to the last name."});
    EXPECT_EQ(validate_password("Margaretha-7", {"u", "margaretha@mail.example", "", ""}),
              Messages{"The password is too similar to the email address."});
}

TEST(PasswordPolicy, OnlyFirstSimilarAttributeReported) {
    // Similar to both username and last name: Django raises on the first (username).
    const PasswordContext ctx{"margaretha", "", "", "margaretha"};
    EXPECT_EQ(validate_password("Margaretha-7", ctx),
              Messages{"The password is too similar to the username."});
}

TEST(PasswordPolicy, TooLongReportedAloneAndCountsCodePoints) {
    const std::string long_numeric(1025, '1');
    EXPECT_EQ(validate_password(long_numeric, {}),
              Messages{"Ensure this field has no more than 1024 characters."});
    EXPECT_EQ(validate_password(std::string(1024, '1'), {}),
              Messages{std::string(kPasswordNumericMessage)});
    // 1024 two-byte characters are 2048 bytes but only 1024 characters.
    std::string umlauts;
    for (int i = 0; i < 1024; ++i) umlauts += "\xC3\xBC";  // ü
    EXPECT_TRUE(validate_password(umlauts, {}).empty());
    EXPECT_EQ(validate_password(umlauts + "\xC3\xBC", {}).size(), 1u);
}

TEST(PasswordPolicy, MinimumLengthCountsCodePoints) {
    // Seven CJK characters are 21 bytes but too short.
    EXPECT_EQ(
        validate_password(
            "\xE5\xAF\x86\xE7\xA0\x81\xE5\xBE\x88\xE5\xAE\x89\xE5\x85\xA8\xE5\xA5\xBD\xE7\x94\xA8",
            {}),
        Messages{std::string(kPasswordTooShortMessage)});
}

TEST(PasswordPolicy, NumericFollowsPythonIsdigit) {
    EXPECT_EQ(validate_password("\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95\xEF"
                                "\xBC\x96\xEF\xBC\x97\xEF\xBC\x98",
                                {}),  // fullwidth １２３４５６７８
              Messages{std::string(kPasswordNumericMessage)});
    EXPECT_TRUE(validate_password("12345678.9-1", {}).empty());  // '.' and '-' are not digits
    EXPECT_EQ(validate_password("1234567890123456789a", {}), Messages{});
}

TEST(PasswordPolicy, PasswordWithNulByte) {
    const std::string with_nul("abc\0defgh-XYZ", 13);
    EXPECT_TRUE(validate_password(with_nul, {}).empty());
}

TEST(PasswordQuickRatio, MatchesDifflib) {
    // Values printed by Python's difflib.SequenceMatcher(a=..., b=...).quick_ratio().
    EXPECT_DOUBLE_EQ(quick_ratio(U"", U""), 1.0);
    EXPECT_DOUBLE_EQ(quick_ratio(U"abc", U""), 0.0);
    EXPECT_DOUBLE_EQ(quick_ratio(U"abcd", U"bcde"), 0.75);
    EXPECT_DOUBLE_EQ(quick_ratio(U"aab", U"abb"), 0.6666666666666666);
    EXPECT_DOUBLE_EQ(quick_ratio(U"password", U"drowssap"), 1.0);
    EXPECT_DOUBLE_EQ(quick_ratio(std::u32string(200, U'a'), U"a"), 0.009950248756218905);
    EXPECT_DOUBLE_EQ(quick_ratio(U"hello world", U"lowered"), 0.6666666666666666);
    EXPECT_DOUBLE_EQ(quick_ratio(U"zo\u00EB", U"zoe"), 0.6666666666666666);
}

TEST(PasswordSimilarity, NamesTheFirstSimilarAttribute) {
    EXPECT_TRUE(
        too_similar_attribute("unrelated-Phrase-42", {"bob", "bob@example.com", "Bob", "Ross"})
            .empty());
    EXPECT_EQ(too_similar_attribute("bobross", {"x", "", "Bob", "Ross"}), "last name");
    EXPECT_EQ(too_similar_attribute("bob", {"x", "", "Bob", "Ross"}), "first name");
    EXPECT_EQ(too_similar_attribute("ross", {"x", "", "Bob", "Ross"}), "last name");
}

TEST(CommonPasswords, ListHasAtLeastTwentyThousandEntries) {
    EXPECT_GE(common_password_count(), 20000u);
}

TEST(CommonPasswords, LookupIsExactOnLowerStrippedInput) {
    EXPECT_TRUE(is_common_password("password"));
    EXPECT_TRUE(is_common_password("123456"));
    EXPECT_TRUE(is_common_password("qwerty"));
    EXPECT_FALSE(is_common_password(""));
    EXPECT_FALSE(is_common_password("Password"));  // callers lower-case first
    EXPECT_FALSE(is_common_password("xk9#mq2$vl-unlikely"));
}

TEST(CommonPasswords, ValidatorComparesCaseInsensitivelyAndStripped) {
    const Messages common{std::string(kPasswordTooCommonMessage)};
    EXPECT_EQ(validate_password("PASSWORD", {}), common);
    EXPECT_EQ(validate_password("PaSsWoRd", {}), common);
    EXPECT_EQ(validate_password("  password\t", {}), common);
    EXPECT_EQ(validate_password("iloveyou", {}), common);
    EXPECT_EQ(validate_password("ILoveYou", {}), common);
}

TEST(CommonPasswords, IncludesEntriesFromBothSources) {
    // "bigpimpin1" is only in Django's list; "wrinkle1" and "christia" only in zxcvbn's.
    EXPECT_TRUE(is_common_password("bigpimpin1"));
    EXPECT_TRUE(is_common_password("wrinkle1"));
    EXPECT_TRUE(is_common_password("christia"));
}

}  // namespace
}  // namespace authd::auth
