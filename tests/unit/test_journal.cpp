// Tests of store/journal: durable appends, replay, torn-tail recovery, compaction with
// simulated crashes between its steps, and the directory lock (in-process and cross-process).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/journal.hpp"

namespace authd::store {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/authd-journal-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        dir_ = root_ + "/data";
    }
    void TearDown() override { fs::remove_all(root_); }

    std::unique_ptr<Journal> open_ok() {
        std::string error;
        auto j = Journal::open(dir_, error);
        EXPECT_TRUE(j) << error;
        return j;
    }

    // Opens, replays and returns the records (the journal stays open in `out`).
    std::vector<std::string> reopen(std::unique_ptr<Journal>& out) {
        out.reset();
        out = open_ok();
        std::vector<std::string> records;
        std::string error;
        if (!out) return records;
        EXPECT_TRUE(out->replay(
            [&](std::string_view r) {
                records.emplace_back(r);
                return true;
            },
            error))
            << error;
        return records;
    }

    std::string file(const char* name) const { return dir_ + "/" + name; }
    uintmax_t size_of(const char* name) const { return fs::file_size(file(name)); }

    std::string root_;
    std::string dir_;
};

using Records = std::vector<std::string>;

TEST_F(JournalTest, AppendSyncReplay) {
    auto j = open_ok();
    ASSERT_TRUE(j);
    std::string e;
    ASSERT_TRUE(j->replay([](std::string_view) { return true; }, e));
    EXPECT_TRUE(j->append("one"));
    EXPECT_TRUE(j->append("two"));
    EXPECT_GT(j->pending_bytes(), 0u);
    EXPECT_TRUE(j->sync());
    EXPECT_EQ(j->pending_bytes(), 0u);
    EXPECT_TRUE(j->append(std::string(1000, 'x')));
    EXPECT_TRUE(j->sync());
    EXPECT_EQ((reopen(j)), (Records{"one", "two", std::string(1000, 'x')}));
    EXPECT_EQ(j->generation(), 0u);
}

TEST_F(JournalTest, CreatesPrivateDirectory) {
    dir_ = root_ + "/a/b/data";
    auto j = open_ok();
    ASSERT_TRUE(j);
    struct stat st {};
    ASSERT_EQ(stat(dir_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(JournalTest, UnsyncedAppendsAreNotDurable) {
    auto j = open_ok();
    std::string e;
    ASSERT_TRUE(j->replay([](std::string_view) { return true; }, e));
    j->append("kept");
    j->sync();
    j->append("lost");
    EXPECT_EQ(reopen(j), (Records{"kept"}));
}

TEST_F(JournalTest, RejectsEmptyAndOversizedRecords) {
    auto j = open_ok();
    EXPECT_FALSE(j->append(""));
    EXPECT_FALSE(j->append(std::string(Journal::max_record_bytes + 1, 'a')));
    EXPECT_TRUE(j->append(std::string(Journal::max_record_bytes, 'a')));
    EXPECT_TRUE(j->sync());
    auto records = reopen(j);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].size(), Journal::max_record_bytes);
}

TEST_F(JournalTest, TornLastRecordIsDroppedAndFileStaysUsable) {
    auto j = open_ok();
    j->append("first");
    j->append("second record");
    j->sync();
    j.reset();
    fs::resize_file(file("journal"), size_of("journal") - 3);  // cut the last record short
    EXPECT_EQ(reopen(j), (Records{"first"}));
    j->append("third");
    j->sync();
    EXPECT_EQ(reopen(j), (Records{"first", "third"}));
}

TEST_F(JournalTest, TornFrameHeaderIsDropped) {
    auto j = open_ok();
    j->append("first");
    j->sync();
    uintmax_t good = 0;
    j.reset();
    good = size_of("journal");
    {
        std::ofstream out(file("journal"), std::ios::app | std::ios::binary);
        out.write("\x05\x00", 2);  // half a frame header
    }
    EXPECT_EQ(reopen(j), (Records{"first"}));
    EXPECT_EQ(size_of("journal"), good);
}

TEST_F(JournalTest, GarbageAfterLastRecordIsDropped) {
    auto j = open_ok();
    j->append("alpha");
    j->sync();
    j.reset();
    uintmax_t good = size_of("journal");
    {
        std::ofstream out(file("journal"), std::ios::app | std::ios::binary);
        std::string junk(5000, '\0');
        for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 131 + 7);
        out << junk;
    }
    EXPECT_EQ(reopen(j), (Records{"alpha"}));
    EXPECT_EQ(size_of("journal"), good);  // truncated at the bad frame
    j->append("beta");
    j->sync();
    EXPECT_EQ(reopen(j), (Records{"alpha", "beta"}));
}

TEST_F(JournalTest, ZeroFilledTailIsDropped) {
    auto j = open_ok();
    j->append("alpha");
    j->sync();
    j.reset();
    fs::resize_file(file("journal"), size_of("journal") + 4096);  // like a lost data page
    EXPECT_EQ(reopen(j), (Records{"alpha"}));
}

TEST_F(JournalTest, BadCrcOnLastRecordIsDropped) {
    auto j = open_ok();
    j->append("alpha");
    j->append("omega");
    j->sync();
    j.reset();
    {
        std::fstream f(file("journal"), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(size_of("journal") - 1));
        f.put('X');  // corrupt the payload of "omega"
    }
    EXPECT_EQ(reopen(j), (Records{"alpha"}));
    j->append("gamma");
    j->sync();
    EXPECT_EQ(reopen(j), (Records{"alpha", "gamma"}));
}

TEST_F(JournalTest, CorruptionFarFromTheEndIsRefused) {
    auto j = open_ok();
    j->append("early");
    std::string big(Journal::max_record_bytes, 'b');
    for (int i = 0; i < 10; ++i) {  // > max_unsynced_bytes of acknowledged records after it
        j->append(big);
        j->sync();
    }
    j.reset();
    {
        std::fstream f(file("journal"), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(32 + 8);  // first payload byte of "early"
        f.put('E');
    }
    j = open_ok();
    std::string error;
    EXPECT_FALSE(j->replay([](std::string_view) { return true; }, error));
    EXPECT_NE(error.find("refusing to start"), std::string::npos) << error;
}

TEST_F(JournalTest, ReplayStopsWhenCallbackRefuses) {
    auto j = open_ok();
    j->append("x");
    j->sync();
    j.reset();
    j = open_ok();
    std::string error;
    EXPECT_FALSE(j->replay([](std::string_view) { return false; }, error));
    EXPECT_NE(error.find("cannot be applied"), std::string::npos);
}

TEST_F(JournalTest, CompactionThenAppendsThenReplay) {
    auto j = open_ok();
    for (const char* r : {"a", "b", "c"}) j->append(r);
    j->append("d");  // unsynced: compact() syncs first
    EXPECT_TRUE(j->compact([](RecordSink& sink) {
        sink.add("live-1");
        sink.add("live-2");
    }));
    EXPECT_EQ(j->generation(), 1u);
    EXPECT_GT(j->snapshot_bytes(), 0u);
    EXPECT_EQ(j->journal_bytes(), 32u);
    j->append("e");
    j->sync();
    EXPECT_EQ(reopen(j), (Records{"live-1", "live-2", "e"}));
    EXPECT_EQ(j->generation(), 1u);
    // A second compaction over the first.
    EXPECT_TRUE(j->compact([](RecordSink& sink) { sink.add("only"); }));
    j->append("f");
    j->sync();
    EXPECT_EQ(reopen(j), (Records{"only", "f"}));
    EXPECT_EQ(j->generation(), 2u);
    EXPECT_FALSE(fs::exists(file("snapshot.tmp")));
    EXPECT_FALSE(fs::exists(file("journal.tmp")));
}

TEST_F(JournalTest, EmptySnapshotIsValid) {
    auto j = open_ok();
    j->append("gone");
    EXPECT_TRUE(j->compact([](RecordSink&) {}));
    EXPECT_EQ(reopen(j), Records{});
}

struct CrashCase {
    Journal::Step step;
    bool snapshot_published;
};

class JournalCrashTest : public JournalTest, public ::testing::WithParamInterface<CrashCase> {};

TEST_P(JournalCrashTest, RecoveryAfterCrashBetweenCompactionSteps) {
    auto j = open_ok();
    j->append("old-1");
    j->append("old-2");
    j->sync();
    j->simulate_crash_after(GetParam().step);
    EXPECT_FALSE(j->compact([](RecordSink& sink) { sink.add("folded-1+2"); }));
    EXPECT_TRUE(j->failed());
    EXPECT_FALSE(j->append("after crash"));
    j.reset();  // the process "dies" here, leaving its files as they are
    Records expected =
        GetParam().snapshot_published ? Records{"folded-1+2"} : Records{"old-1", "old-2"};
    EXPECT_EQ(reopen(j), expected);
    EXPECT_FALSE(fs::exists(file("snapshot.tmp")));
    EXPECT_FALSE(fs::exists(file("journal.tmp")));
    j->append("new");
    j->sync();
    expected.push_back("new");
    EXPECT_EQ(reopen(j), expected);  // every record exactly once
}

INSTANTIATE_TEST_SUITE_P(Steps, JournalCrashTest,
                         ::testing::Values(CrashCase{Journal::Step::snapshot_written, false},
                                           CrashCase{Journal::Step::snapshot_renamed, true},
                                           CrashCase{Journal::Step::journal_written, true}));

TEST_F(JournalTest, LeftoverTempSnapshotIsIgnored) {
    auto j = open_ok();
    j->append("real");
    j->sync();
    j.reset();
    {
        std::ofstream out(file("snapshot.tmp"), std::ios::binary);
        out << "half-written snapshot";
    }
    EXPECT_EQ(reopen(j), (Records{"real"}));
    EXPECT_FALSE(fs::exists(file("snapshot.tmp")));
}

TEST_F(JournalTest, CorruptSnapshotIsRefused) {
    auto j = open_ok();
    j->append("x");
    ASSERT_TRUE(j->compact([](RecordSink& s) { s.add("snap-record"); }));
    j.reset();
    {
        std::fstream f(file("snapshot"), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(size_of("snapshot") - 2));
        f.put('!');
    }
    j = open_ok();
    std::string error;
    EXPECT_FALSE(j->replay([](std::string_view) { return true; }, error));
    EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
}

TEST_F(JournalTest, TruncatedSnapshotIsRefused) {
    auto j = open_ok();
    ASSERT_TRUE(j->compact([](RecordSink& s) { s.add("snap-record"); }));
    j.reset();
    fs::resize_file(file("snapshot"), size_of("snapshot") - 1);
    std::string error;
    EXPECT_FALSE(Journal::open(dir_, error));
    EXPECT_NE(error.find("header says"), std::string::npos) << error;
}

TEST_F(JournalTest, JournalNewerThanSnapshotIsRefused) {
    auto j = open_ok();
    ASSERT_TRUE(j->compact([](RecordSink& s) { s.add("snap-record"); }));
    j.reset();
    fs::remove(file("snapshot"));
    std::string error;
    EXPECT_FALSE(Journal::open(dir_, error));
    EXPECT_NE(error.find("newer than the snapshot"), std::string::npos) << error;
}

TEST_F(JournalTest, SecondOpenInProcessIsRefused) {
    auto j = open_ok();
    std::string error;
    EXPECT_FALSE(Journal::open(dir_, error));
    EXPECT_EQ(error, "store directory " + dir_ + " is in use by another authd process (pid " +
                         std::to_string(getpid()) + ")");
    j.reset();
    EXPECT_TRUE(Journal::open(dir_, error)) << error;
}

TEST_F(JournalTest, OpenFromAnotherProcessIsRefused) {
    auto j = open_ok();
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        std::string error;
        auto other = Journal::open(dir_, error);
        bool ok = !other && error.find("in use by another authd process (pid " +
                                       std::to_string(getppid()) + ")") != std::string::npos;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(JournalTest, LockHeldByAnotherProcessNamesItsPid) {
    int to_parent[2], to_child[2];
    ASSERT_EQ(pipe(to_parent), 0);
    ASSERT_EQ(pipe(to_child), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        std::string error;
        auto held = Journal::open(dir_, error);
        char c = held ? 'y' : 'n';
        [[maybe_unused]] ssize_t w = write(to_parent[1], &c, 1);
        [[maybe_unused]] ssize_t r = read(to_child[0], &c, 1);  // hold until told
        _exit(0);
    }
    char c = 0;
    ASSERT_EQ(read(to_parent[0], &c, 1), 1);
    ASSERT_EQ(c, 'y');
    std::string error;
    EXPECT_FALSE(Journal::open(dir_, error));
    EXPECT_NE(error.find("(pid " + std::to_string(child) + ")"), std::string::npos) << error;
    ASSERT_EQ(write(to_child[1], "x", 1), 1);
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(Journal::open(dir_, error)) << error;  // released when the holder exits
    for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) close(fd);
}

TEST_F(JournalTest, LargeUnsyncedBatchSyncsEarly) {
    auto j = open_ok();
    std::string big(Journal::max_record_bytes, 'q');
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(j->append(big));
    EXPECT_LE(j->pending_bytes(), Journal::max_unsynced_bytes);
    j.reset();  // without the final sync: the early-synced part survives
    auto records = reopen(j);
    EXPECT_GE(records.size(), 7u);
    EXPECT_LT(records.size(), 12u);
}

}  // namespace
}  // namespace authd::store

#include "store/crc32c.hpp"

namespace authd::store {
namespace {

TEST(Crc32c, KnownVectorAndIncremental) {
    const std::string s = "123456789";
    EXPECT_EQ(crc32c(0, s.data(), s.size()), 0xE3069283u);
    EXPECT_EQ(crc32c_portable(0, s.data(), s.size()), 0xE3069283u);
    EXPECT_EQ(crc32c(crc32c(0, s.data(), 4), s.data() + 4, 5), 0xE3069283u);
    std::string long_text(1000, '\0');
    for (size_t i = 0; i < long_text.size(); ++i) long_text[i] = static_cast<char>(i * 7);
    for (size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 1000u}) {
        EXPECT_EQ(crc32c(0, long_text.data(), n), crc32c_portable(0, long_text.data(), n)) << n;
    }
}

}  // namespace
}  // namespace authd::store
