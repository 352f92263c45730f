// Tests of auth/field_validators and auth/unicode_text: Django/DRF messages and decisions
// (expected values checked against Django 3.2's validators where Django has an opinion).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/field_validators.hpp"
#include "auth/unicode_text.hpp"

namespace authd::auth {
namespace {

using Messages = std::vector<std::string>;

const std::string kInvalidUsername(kUsernameInvalidMessage);
const std::string kInvalidEmail(kEmailInvalidMessage);

// ---- UTF-8 ----

TEST(AuthUtf8, ValidAndInvalidSequences) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("Zo\xC3\xAB"));                // Zoë
    EXPECT_TRUE(is_valid_utf8("\xE7\x94\xA8\xE6\x88\xB7"));  // 用户
    EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));          // U+1F600
    EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));      // NUL is valid UTF-8
    EXPECT_FALSE(is_valid_utf8("\xC3"));                     // truncated
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));                 // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));             // overlong
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));             // surrogate U+D800
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));         // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\x80"));                     // lone continuation
    EXPECT_FALSE(is_valid_utf8("\xFF"));
    EXPECT_FALSE(is_valid_utf8("ab\xE2\x82"));  // truncated at the end
}

TEST(AuthUtf8, LengthCountsCodePoints) {
    EXPECT_EQ(utf8_length(""), 0u);
    EXPECT_EQ(utf8_length("abc"), 3u);
    EXPECT_EQ(utf8_length("Zo\xC3\xAB"), 3u);
    EXPECT_EQ(utf8_length("\xE7\x94\xA8\xE6\x88\xB7"), 2u);
    EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80!"), 2u);
}

TEST(AuthUtf8, DecodeRoundTrip) {
    const std::string text = "a\xC3\xAB\xE7\x94\xA8\xF0\x9F\x98\x80";
    const std::u32string cps = to_code_points(text);
    EXPECT_EQ(cps, (std::u32string{U'a', 0xEB, 0x7528, 0x1F600}));
    EXPECT_EQ(to_utf8(cps), text);
    EXPECT_EQ(to_code_points("a\xFF"
                             "b"),
              (std::u32string{U'a', 0xFFFD, U'b'}));
}

TEST(AuthUnicodeClasses, PythonLowerDigitSpace) {
    EXPECT_EQ(to_lower(U"ABC\u00C9\u0416\u03A9\u212A"), U"abc\u00E9\u0436\u03C9k");
    EXPECT_EQ(to_lower(U"\u0130"), U"i\u0307");  // İ lower-cases to two code points
    EXPECT_TRUE(is_digit(U'7'));
    EXPECT_TRUE(is_digit(0x0663));   // ARABIC-INDIC DIGIT THREE
    EXPECT_TRUE(is_digit(0x00B2));   // SUPERSCRIPT TWO
    EXPECT_FALSE(is_digit(0x00BD));  // ½ is numeric but not a digit
    EXPECT_TRUE(is_space(0x00A0));
    EXPECT_TRUE(is_space(0x3000));
    EXPECT_FALSE(is_space(0x200B));  // zero-width space is not whitespace in Python
    EXPECT_TRUE(is_word_char(U'_'));
    EXPECT_TRUE(is_word_char(0x00EB));
    EXPECT_FALSE(is_word_char(0x00D7));  // ×
    EXPECT_FALSE(is_word_char(0x0301));  // combining acute
    EXPECT_FALSE(is_word_char(0x1F600));
}

// ---- username ----

TEST(UsernameValidator, AcceptsDjangoUnicodeUsernames) {
    for (const char* ok :
         {"alice", "Zo\xC3\xAB", "\xE7\x94\xA8\xE6\x88\xB7", "user.name+tag@x", "a-b_c",
          "\xC3\xBCn\xC3\xAF"
          "c\xC3\xB6"
          "d\xC3\xA9"
          "123",
          "\xD0\x94\xD0\xBC\xD0\xB8\xD1\x82\xD1\x80\xD0\xB8\xD0\xB9",  // Дмитрий
          "\xD9\xA3\xD9\xA4\xD9\xA5", "a\xC2\xB2", "_", "@"}) {
        EXPECT_EQ(validate_username(ok), Messages{}) << ok;
    }
}

TEST(UsernameValidator, RejectsWhatDjangoRejects) {
    for (const char* bad :
         {"with space", "semi;colon", "tab\t", "new\nline", "trailing\n", "emoji\xF0\x9F\x98\x80",
          "x\xC3\x97y", "e\xCC\x81", "slash/", "a,b", "del\x7F", "nbsp\xC2\xA0x", "", "\xFF\xFE"}) {
        EXPECT_EQ(validate_username(bad), Messages{kInvalidUsername}) << bad;
    }
    EXPECT_EQ(validate_username(std::string("nul\0byte", 8)), Messages{kInvalidUsername});
}

TEST(UsernameValidator, MaxLengthCountsCharacters) {
    EXPECT_EQ(validate_username(std::string(150, 'a')), Messages{});
    EXPECT_EQ(validate_username(std::string(151, 'a')),
              Messages{"Ensure this field has no more than 150 characters."});
    std::string cjk;
    for (int i = 0; i < 150; ++i) cjk += "\xE7\x94\xA8";  // 450 bytes, 150 characters
    EXPECT_EQ(validate_username(cjk), Messages{});
    // Both failures, DRF's order: the field validator first, then max_length.
    EXPECT_EQ(validate_username(std::string(151, '!')),
              (Messages{kInvalidUsername, "Ensure this field has no more than 150 characters."}));
}

// ---- email ----

TEST(EmailValidator, AcceptsOrdinaryAddresses) {
    for (const char* ok : {"user@example.com", "User.Name+tag@Example.COM", "a@b.co",
                           "user@m\xC3\xBCnchen.de", "user@example.c0m", "user@1.2.3.45",
                           "user@sub.example.co.uk", "o'brien@example.ie", "x_y-z@a-b.example"}) {
        EXPECT_EQ(validate_email(ok), Messages{}) << ok;
    }
}

TEST(EmailValidator, RejectsMalformedAddresses) {
    for (const char* bad : {"a@b.c",
                            "@example.com",
                            "user@",
                            "user@@example.com",
                            "userexample.com",
                            "user@exa mple.com",
                            " user@example.com",
                            "user@example.com ",
                            "us..er@example.com",
                            ".user@example.com",
                            "user.@example.com",
                            "user@-example.com",
                            "user@example-.com",
                            "user@example..com",
                            "user@.example.com",
                            "user@example.com.",
                            "\xC3\xBCser@example.com",
                            "user@localhost",
                            "user@[1.2.3.4]",
                            "\"quoted\"@example.com",
                            "us\ter@example.com",
                            "user@exam\x7Fple.com",
                            "user@ex_ample.com",
                            "a@b@example.com",
                            "",
                            "user@exa\xFFmple.com"}) {
        EXPECT_EQ(validate_email(bad), Messages{kInvalidEmail}) << bad;
    }
}

TEST(EmailValidator, RejectsHeaderInjection) {
    EXPECT_EQ(validate_email("user@example.com\r\nBcc: victim@example.org"),
              Messages{kInvalidEmail});
    EXPECT_EQ(validate_email("user@example.com\n"), Messages{kInvalidEmail});
    EXPECT_EQ(validate_email("user\r@example.com"), Messages{kInvalidEmail});
    EXPECT_EQ(validate_email(std::string("user@example.com\0x", 18)), Messages{kInvalidEmail});
}

TEST(EmailValidator, MaxLength254) {
    const std::string domain = "@example.com";                    // 12 characters
    const std::string at_limit = std::string(242, 'a') + domain;  // 254
    const std::string over = std::string(243, 'a') + domain;      // 255
    EXPECT_EQ(validate_email(at_limit), Messages{});
    EXPECT_EQ(validate_email(over), Messages{"Ensure this field has no more than 254 characters."});
    EXPECT_EQ(validate_email(std::string(300, 'a')),
              (Messages{"Ensure this field has no more than 254 characters.", kInvalidEmail}));
}

TEST(EmailValidator, NormalizeLowerCasesOnlyTheDomain) {
    // Values from Django's BaseUserManager.normalize_email.
    EXPECT_EQ(normalize_email("  John.Doe@EXAMPLE.COM "), "John.Doe@example.com");
    EXPECT_EQ(normalize_email("Foo@Bar@BAZ.Com"), "Foo@Bar@baz.com");
    EXPECT_EQ(normalize_email("NoAt.COM "), "NoAt.COM ");
    EXPECT_EQ(normalize_email("x@M\xC3\x9CNCHEN.DE"), "x@m\xC3\xBCnchen.de");
    EXPECT_EQ(normalize_email("MiXeD@ExAmPlE.oRg"), "MiXeD@example.org");
    EXPECT_EQ(normalize_email(""), "");
}

// ---- names, address ----

TEST(NameValidator, LengthAndControlCharacters) {
    EXPECT_EQ(validate_name("", kNameMaxLength), Messages{});
    EXPECT_EQ(validate_name("Zo\xC3\xAB O'Neil-Smith", kNameMaxLength), Messages{});
    EXPECT_EQ(validate_name(std::string(150, 'x'), kNameMaxLength), Messages{});
    EXPECT_EQ(validate_name(std::string(151, 'x'), kNameMaxLength),
              Messages{"Ensure this field has no more than 150 characters."});
    EXPECT_EQ(validate_name(std::string(256, 'x'), kAddressMaxLength),
              Messages{"Ensure this field has no more than 255 characters."});
    const std::string control(kControlCharsMessage);
    EXPECT_EQ(validate_name("line\nbreak", kAddressMaxLength), Messages{control});
    EXPECT_EQ(validate_name("cr\r", kNameMaxLength), Messages{control});
    EXPECT_EQ(validate_name("tab\tname", kNameMaxLength), Messages{control});
    EXPECT_EQ(validate_name("del\x7F", kNameMaxLength), Messages{control});
    EXPECT_EQ(validate_name("c1\xC2\x85", kNameMaxLength), Messages{control});  // U+0085 NEL
    EXPECT_EQ(validate_name(std::string("nul\0", 4), kNameMaxLength), Messages{control});
    EXPECT_EQ(validate_name("bad\xC3", kNameMaxLength), Messages{std::string(kInvalidTextMessage)});
    EXPECT_EQ(validate_name(std::string(151, '\x01'), kNameMaxLength),
              (Messages{control, "Ensure this field has no more than 150 characters."}));
}

// ---- phone ----

TEST(PhoneValidator, PatternAndEmpty) {
    for (const char* ok : {"", "12345678", "+12345678", "123456789012345", "+447911123456"}) {
        EXPECT_EQ(validate_phone(ok), Messages{}) << ok;
    }
    const Messages invalid{"Enter a valid phone number."};
    for (const char* bad : {"1234567", "+1234567", "1234567890123456", "+", "++12345678",
                            "12 345 678", "123-456-789", "12345678\n", " 12345678", "+1234567a8",
                            "\xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4\xD9\xA5\xD9\xA6\xD9\xA7\xD9\xA8"}) {
        EXPECT_EQ(validate_phone(bad), invalid) << bad;
    }
}

TEST(MaxLengthMessage, Format) {
    EXPECT_EQ(max_length_message(150), "Ensure this field has no more than 150 characters.");
    EXPECT_EQ(max_length_message(1), "Ensure this field has no more than 1 characters.");
}

}  // namespace
}  // namespace authd::auth
