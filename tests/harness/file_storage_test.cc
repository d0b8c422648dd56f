// FileStorage: a node's disk in a real folder. What a sync made durable is
// there when the folder is opened again (as after a kill); what was not synced
// is not.
#include "harness/file_storage.h"

#include <gtest/gtest.h>

#include "support/faultline_process.h"

namespace faultline::harness {
namespace {

using testing::fresh_folder;

std::string contents(FileStorage& storage, std::string_view file) {
    auto read = storage.read(file);
    return read ? *read : "(" + read.error().message + ")";
}

TEST(FileStorage, SyncedWritesSurviveAReopenAndUnsyncedOnesDoNot) {
    const std::string folder = fresh_folder("storage") + "/n0";
    {
        auto storage = FileStorage::open(folder);
        ASSERT_TRUE(storage) << storage.error().message;
        ASSERT_TRUE(storage->append("log", "abc"));
        ASSERT_TRUE(storage->write("state", 4, "xy"));  // a gap, zero-filled
        ASSERT_TRUE(storage->sync());
        ASSERT_TRUE(storage->append("log", "def"));  // never synced
        ASSERT_TRUE(storage->write("other", 0, "lost"));
        EXPECT_EQ(contents(*storage, "log"), "abcdef");
    }
    auto reopened = FileStorage::open(folder);
    ASSERT_TRUE(reopened) << reopened.error().message;
    EXPECT_EQ(contents(*reopened, "log"), "abc");
    EXPECT_EQ(contents(*reopened, "state"), std::string("\0\0\0\0xy", 6));
    EXPECT_FALSE(reopened->exists("other"));
    EXPECT_EQ(reopened->list(), (std::vector<std::string>{"log", "state"}));
}

TEST(FileStorage, OverwritesTruncatesAndRemovesReachTheDisk) {
    const std::string folder = fresh_folder("storage");
    {
        auto storage = FileStorage::open(folder);
        ASSERT_TRUE(storage);
        ASSERT_TRUE(storage->append("log", "0123456789"));
        ASSERT_TRUE(storage->append("gone", "x"));
        ASSERT_TRUE(storage->sync());
        ASSERT_TRUE(storage->write("log", 2, "ab"));
        ASSERT_TRUE(storage->truncate("log", 6));
        ASSERT_TRUE(storage->append("log", "Z"));
        ASSERT_TRUE(storage->remove("gone"));
        ASSERT_TRUE(storage->sync());
    }
    auto reopened = FileStorage::open(folder);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(contents(*reopened, "log"), "01ab45Z");
    EXPECT_FALSE(reopened->exists("gone"));
    // Removed, then written again: the old bytes do not come back.
    ASSERT_TRUE(reopened->remove("log"));
    ASSERT_TRUE(reopened->append("log", "new"));
    ASSERT_TRUE(reopened->sync());
    auto again = FileStorage::open(folder);
    ASSERT_TRUE(again);
    EXPECT_EQ(contents(*again, "log"), "new");
}

TEST(FileStorage, NamesOutsideTheFolderAreRefused) {
    auto storage = FileStorage::open(fresh_folder("storage"));
    ASSERT_TRUE(storage);
    EXPECT_FALSE(storage->write("../escape", 0, "x"));
    EXPECT_FALSE(storage->append(".hidden", "x"));
    EXPECT_FALSE(storage->read("missing"));
}

}  // namespace
}  // namespace faultline::harness
