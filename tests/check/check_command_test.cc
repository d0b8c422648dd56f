// `faultline check` end to end: the built binary on real files, its output
// lines and its exit codes (0 all linearizable, 1 some not, 2 some unknown,
// 3 bad input).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "base/json.h"
#include "support/faultline_process.h"

namespace faultline {
namespace {

struct CommandRun {
    int exit_code = -1;
    std::string out;  // stdout and stderr
};

std::string data(const std::string& relative) {
    return std::string(FAULTLINE_SOURCE_DIR) + "/tests/data/lin-data/" + relative;
}

CommandRun run(const std::string& arguments) {
    const std::string command = std::string(FAULTLINE_BINARY) + " check " + arguments + " 2>&1";
    CommandRun result;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 4096> buffer;
    while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.out += buffer.data();
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// This run's own folder, removed at exit: two checkouts, or ctest -j, never
// share a path.
const std::string& test_folder() {
    struct Folder {
        std::string path = faultline::testing::fresh_folder("check-command");
        ~Folder() { std::filesystem::remove_all(path); }
    };
    static const Folder folder;
    return folder.path;
}

std::string temp_file(const std::string& name, const std::string& content) {
    const std::string path = test_folder() + "/" + name;
    std::ofstream(path) << content;
    return path;
}

TEST(CheckCommand, LinearizableFilesExitZeroWithOneLineEach) {
    const CommandRun r = run("--model cas-register --init 0 " + data("knossos/cas-register/good/memstress3-0.edn") +
                             " " + data("knossos/cas-register/good/memstress3-1.edn"));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("memstress3-0.edn: linearizable (cas-register, jepsen-edn, 317 ops)"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("memstress3-1.edn: linearizable"), std::string::npos) << r.out;
}

TEST(CheckCommand, InvalidFilePrintsTheCounterexampleAndExitsOne) {
    const CommandRun r = run("--model cas-register --init 0 " + data("knossos/cas-register/bad/cas-failure.edn") + " " +
                             data("knossos/cas-register/good/memstress3-0.edn"));
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("cas-failure.edn: NOT linearizable"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("cannot linearize #491 process 70 read 0"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("memstress3-0.edn: linearizable"), std::string::npos) << r.out;
}

TEST(CheckCommand, ModelIsInferredAndKeysAreCounted) {
    const CommandRun r = run(data("porcupine/kv/c10-bad.txt"));
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("(kv-append, porcupine-kv, 405 ops, 10 keys"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("for key \""), std::string::npos) << r.out;
}

TEST(CheckCommand, BudgetExhaustionExitsTwo) {
    const CommandRun r = run("--no-split --memory-limit 1MiB " + data("porcupine/kv/c50-ok.txt"));
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find("UNKNOWN"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("memory limit reached"), std::string::npos) << r.out;
}

// The work budget, not a clock, decides when to give up: the same file and
// budget give the same verdict and the same statistics with any --threads.
TEST(CheckCommand, WorkBudgetExhaustionIsTheSameEveryTime) {
    // Ten keys of a lin-kv history.jsonl, each 12 concurrent writes and then
    // reads of 1 and of 2: not linearizable, but only a search of the writes'
    // orders shows it.
    std::string text;
    int index = 0;
    auto line = [&](int process, const char* type, const char* f, int key, const std::string& value) {
        text += "{\"index\":" + std::to_string(index) + ",\"time\":" + std::to_string(index + 1) +
                ",\"process\":" + std::to_string(process) + ",\"type\":\"" + type + "\",\"f\":\"" + f +
                "\",\"key\":" + std::to_string(key) + ",\"value\":" + value + "}\n";
        ++index;
    };
    for (int key = 0; key < 10; ++key) {
        const int base = key * 100;
        for (const char* type : {"invoke", "ok"}) {
            for (int p = 0; p < 12; ++p) line(base + p, type, "write", key, std::to_string(p + 1));
        }
        for (const char* value : {"1", "2"}) {
            line(base + 99, "invoke", "read", key, "null");
            line(base + 99, "ok", "read", key, value);
        }
    }
    const std::string path = temp_file("budget.jsonl", text);
    std::optional<Json> first;
    for (const char* threads : {"1", "2", "4"}) {
        const std::string out = temp_file(std::string("budget-") + threads + ".json", "");
        const CommandRun r =
            run("--model kv --configs-max 60000 --threads " + std::string(threads) + " --json " + out + " " + path);
        EXPECT_EQ(r.exit_code, 1) << r.out;  // a key decided, a later one unknown
        std::ifstream in(out);
        Json json = Json::parse(in, nullptr, false);
        std::filesystem::remove(out);
        ASSERT_TRUE(json.is_array() && json.size() == 1u) << r.out;
        json[0].erase("elapsed_ns");
        const Json& parts = json[0]["partitions"];
        ASSERT_EQ(parts.size(), 10u);
        EXPECT_EQ(parts[0]["verdict"], "not linearizable") << threads;
        EXPECT_EQ(parts[9]["verdict"], "unknown") << threads;
        EXPECT_EQ(parts[9]["unknown_reason"], "configuration budget reached") << threads;
        if (!first) first = json;
        EXPECT_EQ(json, *first) << "--threads " << threads;
    }
    std::filesystem::remove(path);
}

TEST(CheckCommand, AFileWithNoOperationsUnderItsFormatIsAnError) {
    // Porcupine's kv lines read as Jepsen log lines yield nothing; that must not
    // pass as "linearizable, 0 ops".
    const std::string path = data("porcupine/kv/c01-ok.txt");
    const CommandRun r = run("--format jepsen-log " + path);
    EXPECT_GE(r.exit_code, 3) << r.out;
    EXPECT_NE(r.out.find(path + ": no operations found as jepsen-log"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("linearizable"), std::string::npos) << r.out;
}

TEST(CheckCommand, MalformedFileGivesOneLineWithFileAndLine) {
    const std::string path = temp_file("bad.edn", "[{:process 0, :type :invoke, :f :read}\n {:process 0 :f :read}]\n");
    const CommandRun r = run(path);
    EXPECT_EQ(r.exit_code, 3) << r.out;
    EXPECT_EQ(r.out, "faultline: " + path + ":2: operation has no :type keyword\n");
    std::filesystem::remove(path);
}

TEST(CheckCommand, MalformedJsonlAndLogLines) {
    const std::string jsonl =
        temp_file("bad.jsonl", "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n{\"process\":\n");
    CommandRun r = run(jsonl);
    EXPECT_EQ(r.exit_code, 3) << r.out;
    EXPECT_EQ(r.out.rfind("faultline: " + jsonl + ":2: not valid JSON", 0), 0u) << r.out;
    std::filesystem::remove(jsonl);
    const std::string log =
        temp_file("bad.log", "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:ok\n");
    r = run(log);
    EXPECT_EQ(r.exit_code, 3) << r.out;
    EXPECT_EQ(r.out, "faultline: " + log + ":2: expected PROCESS :TYPE :F [VALUE]\n");
    std::filesystem::remove(log);
}

TEST(CheckCommand, ForcedFormatAndUsageErrors) {
    CommandRun r = run("--format jsonl " + data("knossos/cas-register/bad/bad-analysis.edn"));
    EXPECT_EQ(r.exit_code, 3) << r.out;
    EXPECT_NE(r.out.find("bad-analysis.edn:1: not valid JSON"), std::string::npos) << r.out;
    r = run("--model registr " + data("knossos/cas-register/bad/bad-analysis.edn"));
    EXPECT_EQ(r.exit_code, 3) << r.out;
    EXPECT_NE(r.out.find("unknown model 'registr'"), std::string::npos) << r.out;
    r = run("/nonexistent.edn");
    EXPECT_EQ(r.exit_code, 3) << r.out;
    EXPECT_EQ(r.out, "faultline: /nonexistent.edn: cannot open\n");
    r = run("");
    EXPECT_EQ(r.exit_code, 3) << r.out;
}

TEST(CheckCommand, MultiRegisterStartsAtZeroWithoutInit) {
    // Knossos checks its multi-register data with every register at 0; a plain
    // run must give the verdicts the data is published with. The reference's
    // first transactions read x = 0 and y = 0 before anything wrote y 0.
    const std::string good = data("knossos/multi-register/good/multi-register.edn");
    const CommandRun ok = run(good);
    EXPECT_EQ(ok.exit_code, 0) << ok.out;
    EXPECT_NE(ok.out.find("multi-register.edn: linearizable (multi-register, jepsen-edn, 123 ops)"), std::string::npos)
        << ok.out;

    // Upstream has no bad multi-register history: this one is the reference
    // with its first completed read changed to a value x never holds.
    std::ifstream in(good);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string first_read = ":value [[:read :x 0]],\n :process 3,\n :time 7717922112}";
    const auto at = text.find(first_read);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, first_read.size(), ":value [[:read :x 3]],\n :process 3,\n :time 7717922112}");
    const CommandRun bad = run(temp_file("multi-register-bad.edn", text));
    EXPECT_EQ(bad.exit_code, 1) << bad.out;
    EXPECT_NE(bad.out.find("multi-register-bad.edn: NOT linearizable"), std::string::npos) << bad.out;
    EXPECT_NE(bad.out.find("txn [[read \"x\" 3]]"), std::string::npos) << bad.out;

    // --init still decides: y starting at 2 cannot explain those first reads of
    // y = 0, and x, not named, still starts at 0.
    const CommandRun y2 = run("--init '{\"y\": 2}' " + good);
    EXPECT_EQ(y2.exit_code, 1) << y2.out;
    EXPECT_NE(y2.out.find("can't read 0 from register \"y\" holding 2"), std::string::npos) << y2.out;
    EXPECT_EQ(y2.out.find("from register \"x\""), std::string::npos) << y2.out;
    const CommandRun zeros = run("--init '{\"x\": 0, \"y\": 0}' " + good);
    EXPECT_EQ(zeros.exit_code, 0) << zeros.out;
}

TEST(CheckCommand, KvAppendSplitReproIsLinearizableWithEveryFlag) {
    // tests/data/repro/README.md: this history was once NOT linearizable
    // unless quiescent cuts were turned off.
    const std::string path = std::string(FAULTLINE_SOURCE_DIR) + "/tests/data/repro/kv-append-split-false-positive.edn";
    for (const char* flags :
         {"", "--no-split", "--no-quiescence-split", "--no-split --no-quiescence-split", "--no-prechecks",
          "--no-split --no-prechecks", "--threads 1", "--threads 2", "--stop-at-first"}) {
        const CommandRun r = run(std::string("--model kv-append ") + flags + " " + path);
        EXPECT_EQ(r.exit_code, 0) << flags << "\n" << r.out;
        EXPECT_NE(r.out.find("kv-append-split-false-positive.edn: linearizable (kv-append, "
                             "porcupine-kv, 2048 ops)"),
                  std::string::npos)
            << flags << "\n"
            << r.out;
    }
}

TEST(CheckCommand, JsonOutput) {
    const std::string out = test_folder() + "/out.json";
    const CommandRun r = run("--json " + out + " " + data("knossos/cas-register/bad/bad-analysis.edn"));
    EXPECT_EQ(r.exit_code, 1) << r.out;
    std::ifstream in(out);
    const Json json = Json::parse(in, nullptr, false);
    std::filesystem::remove(out);
    ASSERT_TRUE(json.is_array());
    ASSERT_EQ(json.size(), 1u);
    EXPECT_EQ(json[0]["verdict"], "not linearizable");
    EXPECT_EQ(json[0]["model"], "cas-register");
    EXPECT_EQ(json[0]["format"], "jepsen-edn");
    EXPECT_TRUE(json[0]["counterexample"].is_object());
}

// ---- Transactional isolation (list-append, rw-register)

const char* kReadSkew =
    "{:type :invoke, :f :txn, :process 0, :value [[:r :x nil] [:r :y nil]]}\n"
    "{:type :invoke, :f :txn, :process 1, :value [[:append :x 1] [:append :y 1]]}\n"
    "{:type :ok, :f :txn, :process 1, :value [[:append :x 1] [:append :y 1]]}\n"
    "{:type :ok, :f :txn, :process 0, :value [[:r :x []] [:r :y [1]]]}\n"
    "{:type :invoke, :f :txn, :process 1, :value [[:r :x nil]]}\n"
    "{:type :ok, :f :txn, :process 1, :value [[:r :x [1]]]}\n";

TEST(CheckCommand, ListAppendAnomalyExitsOneWithTheCycleInWords) {
    const std::string path = temp_file("read-skew.edn", kReadSkew);
    const std::string json = test_folder() + "/read-skew.json";
    const CommandRun r = run("--model list-append --json " + json + " " + path);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("INVALID (list-append, strict-serializable"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("G-single"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("did not see T1's later append of 1 (rw)"), std::string::npos) << r.out;
    std::ifstream in(json);
    const Json results = Json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
    EXPECT_EQ(results[0]["valid"], "invalid");
    EXPECT_EQ(results[0]["not"], Json::array({"snapshot-isolation"}));
    // Repeatable read allows read skew of this kind.
    EXPECT_EQ(run("--model list-append --consistency-models repeatable-read " + path).exit_code, 0);
}

TEST(CheckCommand, AutoChecksTransactionsWithAppendsForIsolation) {
    const std::string path = temp_file("read-skew-auto.edn", kReadSkew);
    const CommandRun r = run(path);  // --model auto
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("INVALID (list-append, strict-serializable"), std::string::npos) << r.out;
    EXPECT_EQ(run("--consistency-models repeatable-read " + path).exit_code, 0);
}

TEST(CheckCommand, TxnMalformedFileNamesTheLineAndExitsThree) {
    const std::string path = temp_file("bad-txn.edn",
                                       "{:type :invoke, :f :txn, :process 0, :value [[:append :x 1]]}\n"
                                       "{:type :ok, :f :txn, :process 0, :value [[:append :x]]}\n");
    const CommandRun r = run("--model list-append " + path);
    EXPECT_EQ(r.exit_code, 3) << r.out;
    EXPECT_NE(r.out.find(path + ":2: micro-op 0 is [\"append\",\"x\"], expected [f key value]"), std::string::npos)
        << r.out;
    const CommandRun models = run("--model rw-register --consistency-models serialisable " + path);
    EXPECT_EQ(models.exit_code, 3) << models.out;
    EXPECT_NE(models.out.find("--consistency-models: unknown consistency model 'serialisable'"), std::string::npos)
        << models.out;
}

}  // namespace
}  // namespace faultline
