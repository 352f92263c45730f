// Tests for SmtpSender against real SMTP servers on loopback: the aiosmtpd sink
// (tests/integration/smtp_sink.py) for delivery and 451s, scripted servers for 5xx and
// silence, a closed port, and console mode.
#include <gtest/gtest.h>

#include "auth/mail_templates.hpp"
#include "auth/smtp_sender.hpp"
#include "smtp_sink_fixture.hpp"

namespace authd::auth {
namespace {

using Result = SmtpSender::SendResult;
using testing_mail::decode_quoted_printable;
using testing_mail::mime_parts;
using testing_mail::ScriptedSmtpServer;
using testing_mail::SmtpSinkProcess;
using testing_mail::split_part;

const std::string kLink =
    "http://127.0.0.1:8000/auth/verify-email/MQ/t2x9k0-00112233445566778899aabbccddeeff/";

SmtpConfig config_for(const std::string& url) {
    SmtpConfig c;
    c.url = url;
    c.from = "authd <authd@localhost>";
    c.connect_timeout_ms = 2000;
    c.total_timeout_ms = 5000;
    return c;
}

// A text body full of SMTP edge cases: dot-stuffing, long lines, non-ASCII, "From ".
std::string tricky_text() {
    return "first line\n"
           ".a line starting with a dot\n"
           ".\n"
           "..two dots\n"
           "From the start\n"
           "caf\xc3\xa9 \xe2\x9c\x89\n" +
           std::string(300, 'z') + ".\n" + kLink + "\nlast line without newline";
}

std::string with_crlf(std::string_view text) {
    std::string out;
    for (char c : text) out += c == '\n' ? std::string("\r\n") : std::string(1, c);
    return out;
}

TEST(SmtpSender, DeliversMessageIntactIncludingLeadingDots) {
    SmtpSinkProcess sink;
    ASSERT_EQ(sink.start(), "");
    SmtpSender sender(config_for(sink.url()));
    ASSERT_EQ(sender.config_error(), "");
    EXPECT_FALSE(sender.console());
    store::OutboxMail mail = verification_mail("Ann@Example.com", "ann", kLink);
    mail.text_body = tricky_text();
    mail.html_body = "<p>.html</p>\n.\n<p>" + std::string(200, 'h') + "</p>";
    std::string error;
    ASSERT_EQ(sender.send(mail, error), Result::sent) << error;

    auto messages = sink.wait_for_messages(1, std::chrono::seconds(5));
    ASSERT_EQ(messages.size(), 1u);
    const std::string& eml = messages[0];
    auto top = split_part(eml);
    EXPECT_EQ(top.header("X-Sink-Mail-From"), "<authd@localhost>");
    EXPECT_EQ(top.header("X-Sink-Rcpt-To"), "<Ann@example.com>");
    EXPECT_EQ(top.header("To"), "Ann@example.com");
    EXPECT_EQ(top.header("From"), "\"authd\" <authd@localhost>");
    EXPECT_EQ(top.header("Subject"), "Verify your email address");
    auto parts = mime_parts(eml);
    ASSERT_EQ(parts.size(), 2u) << eml;
    EXPECT_EQ(decode_quoted_printable(parts[0].body), with_crlf(mail.text_body)) << eml;
    EXPECT_EQ(decode_quoted_printable(parts[1].body), with_crlf(mail.html_body)) << eml;
    // The raw lines starting with '.' arrive un-stuffed, exactly as composed.
    EXPECT_NE(eml.find("\r\n.a line starting with a dot\r\n.\r\n..two dots\r\n"), std::string::npos)
        << eml;
}

TEST(SmtpSender, SeveralMailsInARow) {
    SmtpSinkProcess sink;
    ASSERT_EQ(sink.start(), "");
    SmtpSender sender(config_for(sink.url()));
    std::string error;
    for (int i = 0; i < 3; ++i) {
        auto mail = reset_mail("u" + std::to_string(i) + "@example.com", "u", kLink);
        ASSERT_EQ(sender.send(mail, error), Result::sent) << error;
    }
    auto messages = sink.wait_for_messages(3, std::chrono::seconds(5));
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(split_part(messages[2]).header("To"), "u2@example.com");
}

TEST(SmtpSender, Reply451IsTemporary) {
    SmtpSinkProcess sink;
    ASSERT_EQ(sink.start(1), "");
    SmtpSender sender(config_for(sink.url()));
    auto mail = verification_mail("a@example.com", "a", kLink);
    std::string error;
    EXPECT_EQ(sender.send(mail, error), Result::temporary_failure);
    EXPECT_NE(error.find("451"), std::string::npos) << error;
    EXPECT_EQ(error.find(kLink), std::string::npos) << "errors never carry the link";
    EXPECT_EQ(sender.send(mail, error), Result::sent) << error;
    EXPECT_EQ(sink.wait_for_messages(1, std::chrono::seconds(5)).size(), 1u);
}

TEST(SmtpSender, ConnectionRefusedIsTemporary) {
    SmtpSender sender(
        config_for("smtp://127.0.0.1:" + std::to_string(testing_mail::closed_port())));
    std::string error;
    auto began = std::chrono::steady_clock::now();
    EXPECT_EQ(sender.send(verification_mail("a@example.com", "a", kLink), error),
              Result::temporary_failure);
    EXPECT_FALSE(error.empty());
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(2));
}

TEST(SmtpSender, Reply550ToRecipientIsPermanent) {
    ScriptedSmtpServer server(ScriptedSmtpServer::Replies{{"RCPT", "550 5.1.1 no such user"}});
    SmtpSender sender(config_for(server.url()));
    std::string error;
    EXPECT_EQ(sender.send(verification_mail("nobody@example.com", "n", kLink), error),
              Result::permanent_failure);
    EXPECT_NE(error.find("550"), std::string::npos) << error;
}

TEST(SmtpSender, Reply421IsTemporary) {
    ScriptedSmtpServer server(ScriptedSmtpServer::Replies{{"MAIL", "421 4.3.2 try later"}});
    SmtpSender sender(config_for(server.url()));
    std::string error;
    EXPECT_EQ(sender.send(verification_mail("a@example.com", "a", kLink), error),
              Result::temporary_failure);
    EXPECT_NE(error.find("421"), std::string::npos) << error;
}

TEST(SmtpSender, SilentServerTimesOutAsTemporary) {
    ScriptedSmtpServer server(ScriptedSmtpServer::Replies{}, /*silent=*/true);
    SmtpConfig config = config_for(server.url());
    config.total_timeout_ms = 400;
    SmtpSender sender(config);
    std::string error;
    auto began = std::chrono::steady_clock::now();
    EXPECT_EQ(sender.send(verification_mail("a@example.com", "a", kLink), error),
              Result::temporary_failure);
    auto took = std::chrono::steady_clock::now() - began;
    EXPECT_GE(took, std::chrono::milliseconds(350));
    EXPECT_LT(took, std::chrono::seconds(3));
    EXPECT_TRUE(server.accepted());
    EXPECT_FALSE(error.empty());
}

TEST(SmtpSender, InvalidRecipientIsPermanentWithoutConnecting) {
    ScriptedSmtpServer server(ScriptedSmtpServer::Replies{});
    SmtpSender sender(config_for(server.url()));
    std::string error;
    EXPECT_EQ(
        sender.send(verification_mail("a@example.com\r\nBcc: v@example.com", "a", kLink), error),
        Result::permanent_failure);
    EXPECT_EQ(error, "invalid recipient address");
    EXPECT_FALSE(server.accepted());
}

TEST(SmtpSender, ConsoleModeLogsTheMail) {
    SmtpSender sender(SmtpConfig{});
    EXPECT_TRUE(sender.console());
    EXPECT_EQ(sender.config_error(), "");
    std::string error;
    ::testing::internal::CaptureStderr();
    auto result = sender.send(verification_mail("ann@example.com", "ann", kLink), error);
    std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(result, Result::sent) << error;
    EXPECT_NE(log.find("\"to\":\"ann@example.com\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"subject\":\"Verify your email address\""), std::string::npos) << log;
    EXPECT_NE(log.find("\\n" + kLink + "\\n"), std::string::npos) << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << "one log line";
}

TEST(SmtpSender, ConfigValidation) {
    EXPECT_EQ(SmtpSender(config_for("smtp://127.0.0.1:25")).config_error(), "");
    EXPECT_EQ(SmtpSender(config_for("SMTPS://mail.example.com:465")).config_error(), "");
    EXPECT_EQ(SmtpSender(config_for("smtp+starttls://mail.example.com:587")).config_error(), "");
    EXPECT_NE(SmtpSender(config_for("http://mail.example.com")).config_error(), "");
    EXPECT_NE(SmtpSender(config_for("file:///etc/passwd")).config_error(), "");
    EXPECT_NE(SmtpSender(config_for("smtp://")).config_error(), "");
    EXPECT_NE(SmtpSender(config_for("smtp://host\r\n:25")).config_error(), "");
    SmtpConfig bad_from = config_for("smtp://127.0.0.1:25");
    bad_from.from = "not an address";
    SmtpSender sender(bad_from);
    EXPECT_NE(sender.config_error(), "");
    std::string error;
    EXPECT_EQ(sender.send(verification_mail("a@example.com", "a", kLink), error),
              Result::temporary_failure);
    EXPECT_EQ(error, sender.config_error());
}

TEST(SmtpSender, DisplayUrlHidesPassword) {
    EXPECT_EQ(SmtpSender(config_for("smtp://user:s3cret@mail.example.com:587")).display_url(),
              "smtp://user:***@mail.example.com:587");
    EXPECT_EQ(SmtpSender(config_for("smtps://mail.example.com:465")).display_url(),
              "smtps://mail.example.com:465");
    EXPECT_EQ(SmtpSender(config_for("smtp://user@mail.example.com")).display_url(),
              "smtp://user@mail.example.com");
}

TEST(SmtpSender, StartTlsRequiredFailsAgainstPlainServer) {
    // smtp+starttls:// must never fall back to plain text when the server offers no STARTTLS.
    ScriptedSmtpServer server(ScriptedSmtpServer::Replies{});
    SmtpConfig config = config_for(server.url());
    config.url = "smtp+starttls://" + config.url.substr(7);
    SmtpSender sender(config);
    std::string error;
    EXPECT_EQ(sender.send(verification_mail("a@example.com", "a", kLink), error),
              Result::temporary_failure);
    EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace authd::auth
