// `authd import-django FILE [--dry-run] [--staff-as-agent]`: imports the users of a Django
// `dumpdata` file. Two streaming passes: the first validates every record (a malformed one
// stops the command before anything is written), the second imports in batches of
// kBatch users, one durable store write each. Memory stays bounded by one batch.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "core/run_blocking.hpp"
#include "store/store.hpp"
#include "tools/django_dump_reader.hpp"
#include "tools/django_user_record.hpp"
#include "tools/server_app.hpp"
#include "tools/store_setup.hpp"

namespace authd::tools {
namespace {

constexpr size_t kBatch = 1000;
constexpr uint64_t kReportedSkips = 50;  // skips listed one by one; beyond, only counted

struct Tally {
    uint64_t users = 0, imported = 0, others = 0, skipped = 0;
    std::map<std::string, uint64_t> reasons;
};

struct File {
    FILE* f = nullptr;
    ~File() {
        if (f) std::fclose(f);
    }
};

using Clock = std::chrono::steady_clock;

class Progress {
  public:
    explicit Progress(uint64_t total) : total_(total), last_(Clock::now()) {}
    void tick(const char* what, uint64_t offset, uint64_t users) {
        if (total_ < (8u << 20) || Clock::now() - last_ < std::chrono::seconds(2)) return;
        last_ = Clock::now();
        std::fprintf(stderr, "import-django: %s %3.0f%% (%llu users)\n", what,
                     100.0 * static_cast<double>(offset) / static_cast<double>(total_),
                     static_cast<unsigned long long>(users));
    }

  private:
    uint64_t total_;
    Clock::time_point last_;
};

void note_skip(Tally& t, const std::string& pk, const std::string& username,
               const std::string& reason) {
    if (++t.skipped <= kReportedSkips)
        std::printf("skipped pk=%s username=%s: %s\n", pk.c_str(), username.c_str(),
                    reason.c_str());
    ++t.reasons[reason];
}

const char* status_reason(store::ImportStatus s) {
    switch (s) {
        case store::ImportStatus::id_taken:
            return "id already present";
        case store::ImportStatus::username_taken:
            return "username already present";
        case store::ImportStatus::email_taken:
            return "email already present";
        default:
            return "store failure";
    }
}

// Pass 1: every record must convert; returns the error naming the first malformed one.
std::optional<std::string> validate_dump(FILE* f, const DjangoImportOptions& o, Progress& p,
                                         uint64_t& users) {
    DjangoDumpReader reader(f);
    simdjson::dom::parser parser;
    std::string object, error;
    while (reader.next(object, error)) {
        DjangoRecord r = convert_django_record(parser, object, o);
        if (r.kind == DjangoRecord::Kind::malformed) {
            return "malformed record pk=" + (r.pk.empty() ? "?" : r.pk) + " (element " +
                   std::to_string(reader.index()) + "): " + r.reason;
        }
        if (r.kind != DjangoRecord::Kind::not_a_user) ++users;
        p.tick("checked", reader.offset(), users);
    }
    if (!error.empty()) return error;
    return std::nullopt;
}

// Writes one batch and tallies it; false when the store failed (the import stops).
core::Task<bool> flush(store::Store& s, std::vector<store::User>& batch, bool dry, Tally& t) {
    if (batch.empty()) co_return true;
    std::vector<store::User> users = std::move(batch);
    batch.clear();
    std::vector<store::User> copy = users;  // names for the skip report
    store::Result<std::vector<store::ImportStatus>> answer =
        co_await s.import_users(std::move(users), dry);
    if (!answer) co_return false;
    const std::vector<store::ImportStatus>& st = *answer;
    for (size_t i = 0; i < st.size(); ++i) {
        if (st[i] == store::ImportStatus::failed) co_return false;
        if (st[i] == store::ImportStatus::imported) {
            ++t.imported;
        } else {
            note_skip(t, std::to_string(copy[i].id), copy[i].username, status_reason(st[i]));
        }
    }
    co_return true;
}

// Pass 2: convert again and import in batches.
core::Task<bool> import_pass(store::Store& s, FILE* f, const DjangoImportOptions o, bool dry,
                             Progress& p, Tally& t) {
    DjangoDumpReader reader(f);
    simdjson::dom::parser parser;
    std::string object, error;
    std::vector<store::User> batch;
    while (reader.next(object, error)) {
        DjangoRecord r = convert_django_record(parser, object, o);
        if (r.kind == DjangoRecord::Kind::not_a_user) {
            ++t.others;
            continue;
        }
        ++t.users;
        if (r.kind == DjangoRecord::Kind::skip) {
            note_skip(t, r.pk, r.user.username, r.reason);
            continue;
        }
        batch.push_back(std::move(r.user));
        if (batch.size() == kBatch && !co_await flush(s, batch, dry, t)) co_return false;
        p.tick(dry ? "checked against the store" : "imported", reader.offset(), t.users);
    }
    co_return error.empty() && co_await flush(s, batch, dry, t);
}

void print_summary(const Tally& t, bool dry, double seconds) {
    std::printf("%s %llu users, skipped %llu", dry ? "Dry run: would import" : "Imported",
                static_cast<unsigned long long>(t.imported),
                static_cast<unsigned long long>(t.skipped));
    const char* sep = " (";
    for (const auto& [why, n] : t.reasons) {
        std::printf("%s%s: %llu", sep, why.c_str(), static_cast<unsigned long long>(n));
        sep = ", ";
    }
    std::printf("%s; %llu other objects ignored; %.2f s (%.0f users/s)\n",
                t.reasons.empty() ? "" : ")", static_cast<unsigned long long>(t.others), seconds,
                seconds > 0 ? static_cast<double>(t.users) / seconds : 0.0);
}

}  // namespace

int run_import_django(const Config& config) {
    if (config.import_file.empty()) {
        std::fprintf(stderr, "authd: import-django needs a FILE (a manage.py dumpdata output)\n");
        return 2;
    }
    File file{std::fopen(config.import_file.c_str(), "rb")};
    struct stat st {};
    if (!file.f || fstat(fileno(file.f), &st) != 0) {
        std::fprintf(stderr, "authd: cannot read %s; nothing was imported\n",
                     config.import_file.c_str());
        return 1;
    }
    auto started = Clock::now();
    DjangoImportOptions options{config.import_staff_as_agent};
    Progress progress(static_cast<uint64_t>(st.st_size));
    uint64_t users = 0;
    if (auto err = validate_dump(file.f, options, progress, users)) {
        std::fprintf(stderr, "authd: %s; nothing was imported\n", err->c_str());
        return 1;
    }
    std::string error;
    std::unique_ptr<store::Store> store = open_configured_store(config, error);
    if (!store) {
        std::fprintf(stderr, "authd: %s; nothing was imported\n", error.c_str());
        return 1;
    }
    std::rewind(file.f);
    Tally tally;
    auto ok = core::run_blocking(
        import_pass(*store, file.f, options, config.import_dry_run, progress, tally), error);
    store->close();
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (!ok || !*ok) {
        std::fprintf(stderr, "authd: the store failed after %llu imported users: %s\n",
                     static_cast<unsigned long long>(tally.imported),
                     error.empty() ? "store unavailable" : error.c_str());
        return 1;
    }
    print_summary(tally, config.import_dry_run, seconds);
    return 0;
}

}  // namespace authd::tools
