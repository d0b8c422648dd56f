// The history parsers: every format's good inputs, detection, forcing a format,
// and malformed input, which must give one error naming the file and line.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "check/formats/edn.h"
#include "check/formats/history_formats.h"
#include "check/linearizability/checker.h"
#include "support/faultline_process.h"

namespace faultline::check::formats {
namespace {

Result<ParsedHistory> parse(const std::string& text, std::optional<Format> format = std::nullopt) {
    return parse_history(text, "h", format);
}

// The error of parsing `text`; fails the test if it parsed.
std::string error_of(const std::string& text, std::optional<Format> format = std::nullopt) {
    auto parsed = parse(text, format);
    EXPECT_FALSE(parsed) << "parsed: " << text;
    return parsed ? std::string() : parsed.error().message;
}

// ---- EDN reader

TEST(EdnReader, ReadsTheJepsenSubset) {
    EdnReader reader(R"({:a 1, :b -2.5, :c "x\"y", :d nil, :e [1 (2 3) #{4}], :f true,
                       :g :kw, :h :ns/kw, :i sym, :j 12N, :k #inst "2020", :l \c} ; done)");
    Json value;
    ASSERT_TRUE(reader.read(value));
    EXPECT_EQ(value["a"], 1);
    EXPECT_EQ(value["b"], -2.5);
    EXPECT_EQ(value["c"], "x\"y");
    EXPECT_TRUE(value["d"].is_null());
    EXPECT_EQ(value["e"], Json::parse("[1, [2, 3], [4]]"));
    EXPECT_EQ(value["f"], true);
    EXPECT_EQ(value["g"], "kw");
    EXPECT_EQ(value["h"], "ns/kw");
    EXPECT_EQ(value["i"], "sym");
    EXPECT_EQ(value["j"], 12);
    EXPECT_EQ(value["k"], "2020");
    EXPECT_EQ(value["l"], "c");
    EXPECT_FALSE(reader.more());
}

TEST(EdnReader, ErrorsCarryLineAndColumn) {
    for (const auto& [text, expected] :
         std::vector<std::pair<std::string, std::string>>{{"{:a 1\n :b", "2:4: unexpected end"},
                                                          {"[1 2}", "1:5: unexpected '}'"},
                                                          {"\"abc", "unterminated string"},
                                                          {"{:a}", "a map key has no value"},
                                                          {"1/2", "ratios are not supported"},
                                                          {"99999999999999999999", "out of range"}}) {
        EdnReader reader(text);
        Json value;
        auto status = reader.read(value);
        ASSERT_FALSE(status) << text;
        EXPECT_NE(status.error().message.find(expected), std::string::npos) << text << " -> " << status.error().message;
    }
}

TEST(EdnReader, DeepNestingIsAnErrorNotACrash) {
    const std::string deep(100000, '[');
    EdnReader reader(deep);
    Json value;
    auto status = reader.read(value);
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().message.find("nesting too deep"), std::string::npos);
}

TEST(EdnReader, DiscardsAnywhere) {
    // After the last item of a collection, before the first, one after another
    // (read in a loop however many there are), and nested (a discard of a discard).
    EdnReader reader(R"([#_0 1 #_2 #_3 4 #_5] {:a #_:b 1 #_:c} #_ #_ 6 7 8)");
    Json vector, map, after;
    ASSERT_TRUE(reader.read(vector));
    EXPECT_EQ(vector, Json::parse("[1, 4]"));
    ASSERT_TRUE(reader.read(map));
    EXPECT_EQ(map, Json::parse(R"({"a": 1})"));
    ASSERT_TRUE(reader.read(after));
    EXPECT_EQ(after, 8);
    EXPECT_FALSE(reader.more());

    // The reader keeps a view: the texts must outlive it.
    std::string chain;
    for (int i = 0; i < 100000; ++i) chain += "#_1 ";
    chain += "2";
    EdnReader long_chain(chain);
    Json value;
    ASSERT_TRUE(long_chain.read(value));
    EXPECT_EQ(value, 2);
    std::string discards_of_discards;
    for (int i = 0; i < 100000; ++i) discards_of_discards += "#_";
    discards_of_discards += "1";
    EdnReader nested(discards_of_discards);
    auto status = nested.read(value);
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().message.find("nesting too deep"), std::string::npos);
}

TEST(EdnReader, TextMustBeUtf8) {
    // Surrogate pairs in \u escapes become one code point (U+1F600 here).
    EdnReader pair(R"("\ud83d\ude00 \u00e9")");
    Json value;
    ASSERT_TRUE(pair.read(value));
    EXPECT_EQ(value, "\xf0\x9f\x98\x80 \xc3\xa9");
    EXPECT_EQ(value.dump(), "\"\xf0\x9f\x98\x80 \xc3\xa9\"");
    // Valid multi-byte text passes as it is.
    EdnReader text("[\"\xc3\xa9t\xc3\xa9\" :\xe2\x82\xac]");
    ASSERT_TRUE(text.read(value));
    EXPECT_EQ(value, Json::parse("[\"\xc3\xa9t\xc3\xa9\", \"\xe2\x82\xac\"]"));
    for (const auto& [input, expected] : std::vector<std::pair<std::string, std::string>>{
             {"\"ab\xff\"", "1:4: invalid UTF-8 (byte 0xff)"},
             {"\"a\nb\xc3\"", "2:2: invalid UTF-8 (byte 0xc3)"},          // truncated
             {":k\xc0\xaf", "1:3: invalid UTF-8 (byte 0xc0)"},            // overlong '/'
             {"sym\xed\xa0\x80", "1:4: invalid UTF-8 (byte 0xed)"},       // an encoded surrogate
             {"\"\xf4\x90\x80\x80\"", "1:2: invalid UTF-8 (byte 0xf4)"},  // above U+10FFFF
             {"{\"\xfe\" 1}", "1:3: invalid UTF-8 (byte 0xfe)"},
             {R"("\ud83d")", "lone surrogate \\ud83d"},
             {R"("\ude00\ud83d")", "lone surrogate \\ude00"},
         }) {
        EdnReader reader(input);
        auto status = reader.read(value);
        ASSERT_FALSE(status) << input;
        EXPECT_NE(status.error().message.find(expected), std::string::npos)
            << input << " -> " << status.error().message;
    }
}

// ---- Jepsen EDN histories

TEST(JepsenEdn, VectorListAndBareMapsAllWork) {
    const std::string maps =
        "{:process 0, :type :invoke, :f :write, :value 1}\n"
        "{:process 0, :type :ok, :f :write, :value 1}\n";
    for (const std::string& text : {"[" + maps + "]", "(" + maps + ")", maps, "; comment\n" + maps}) {
        auto parsed = parse(text);
        ASSERT_TRUE(parsed) << parsed.error().message;
        EXPECT_EQ(parsed->format, Format::jepsen_edn);
        ASSERT_EQ(parsed->history.size(), 2u);
        EXPECT_EQ(parsed->history[1].type, OpType::ok);
        EXPECT_EQ(parsed->history[1].f, "write");
        EXPECT_EQ(parsed->history[1].value, 1);
        EXPECT_TRUE(parsed->semantics.nil_read_is_unknown);
    }
}

TEST(JepsenEdn, FieldsIndexesLinesAndNemesis) {
    const std::string text =
        "[{:type :invoke, :f :cas, :value [1 4], :process 101, :time 99286665244, :index 7}\n"
        " {:process :nemesis, :type :info, :f :start, :value nil}\n"
        " {:type :fail,\n"
        "  :process 101, :f :cas, :value [1 4], :error [:temporarily-unavailable nil]}]\n";
    auto parsed = parse(text);
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed->history.size(), 2u);
    EXPECT_EQ(parsed->skipped_ops, 1u);
    const Operation& first = parsed->history[0];
    EXPECT_EQ(first.index, 7);
    EXPECT_EQ(first.time, 99286665244);
    EXPECT_EQ(first.process, 101);
    EXPECT_EQ(first.value, Json::parse("[1, 4]"));
    const Operation& second = parsed->history[1];
    EXPECT_EQ(second.index, 2);  // its position, nemesis op included
    EXPECT_EQ(second.error, Json::parse(R"(["temporarily-unavailable", null])"));
    EXPECT_EQ((*parsed->lines)[1], 3);
    EXPECT_EQ(parsed->locator()(1), "h:3");
}

TEST(JepsenEdn, JepsenRecordTagsAreAccepted) {
    auto parsed = parse("#jepsen.history.Op{:index 0, :time 1, :type :invoke, :process 0, :f :read, :value nil}");
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed->history.size(), 1u);
    EXPECT_EQ(parsed->history[0].f, "read");
}

TEST(JepsenEdn, MalformedInputNamesFileAndLine) {
    EXPECT_EQ(error_of("{:process 0, :type :invoke, :f :read}\n{:process 0, :f :read}\n"),
              "h:2: operation has no :type keyword");
    EXPECT_EQ(error_of("{:process 0, :type :begin, :f :read}\n"), "h:1: unknown :type :begin (invoke, ok, fail, info)");
    EXPECT_EQ(error_of("[{:type :invoke, :f :read}]"), "h:1: operation has no :process");
    EXPECT_EQ(error_of("{:process 0 :type :invoke}"), "h:1: operation has no :f");
    EXPECT_EQ(error_of("[{:process 0, :type :invoke, :f :read}\n 5]"), "h:2: expected an operation map, got 5");
    EXPECT_NE(error_of("[{:process 0, :type :invoke, :f :read}\n {:process 1\n").find("h:3:"), std::string::npos);
    EXPECT_NE(error_of("{:process 0, :type :invoke, :f :read, :value \"x}").find("h:1:"), std::string::npos);
}

TEST(PorcupineKv, IsDetectedFromItsOperations) {
    auto parsed = parse(
        "{:process 0, :type :invoke, :f :append, :key \"0\", :value \"x 0 0 y\"}\n"
        "{:process 0, :type :ok, :f :append, :key \"0\", :value \"x 0 0 y\"}\n"
        "{:process 2, :type :invoke, :f :get, :key \"0\", :value nil}\n");
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->format, Format::porcupine_kv);
    EXPECT_EQ(parsed->history[0].key, "0");
    EXPECT_EQ(infer_model(parsed->history), models::ModelKind::kv_append);
}

// ---- Jepsen log lines

TEST(JepsenLog, TabAndSpaceVariants) {
    for (const std::string sep : {"\t", " "}) {
        const std::string text =
            "2014-12-25 INFO  jepsen.core - starting\n"
            "INFO  jepsen.util - 4" +
            sep + ":invoke" + sep + ":cas" + sep +
            "[1 2]\n"
            "INFO  jepsen.util - 4" +
            sep + ":fail" + sep + ":cas" + sep +
            "[1 2]\n"
            "INFO  jepsen.util - 3" +
            sep + ":invoke" + sep + ":read" + sep +
            "nil\n"
            "INFO  jepsen.util - 3" +
            sep + ":fail" + sep + ":read" + sep +
            ":timed-out\n"
            "INFO  jepsen.util - 0" +
            sep + ":invoke" + sep + ":write" + sep +
            "3\n"
            "INFO  jepsen.util - 0" +
            sep + ":info" + sep + ":write" + sep +
            ":timed-out\n"
            "INFO  jepsen.util - :nemesis" +
            sep + ":info" + sep + ":start" + sep + "nil\n";
        auto parsed = parse(text);
        ASSERT_TRUE(parsed) << parsed.error().message;
        EXPECT_EQ(parsed->format, Format::jepsen_log);
        EXPECT_TRUE(parsed->semantics.failed_cas_returned_false);
        EXPECT_FALSE(parsed->semantics.nil_read_is_unknown);
        ASSERT_EQ(parsed->history.size(), 6u);
        EXPECT_EQ(parsed->history[0].value, Json::parse("[1, 2]"));
        EXPECT_EQ(parsed->history[1].type, OpType::fail);  // a CAS that returned false
        EXPECT_EQ(parsed->history[3].type, OpType::info);  // :fail :read :timed-out is a timeout
        EXPECT_EQ(parsed->history[3].error, "timed-out");
        EXPECT_EQ(parsed->history[5].type, OpType::info);
        EXPECT_TRUE(parsed->history[5].value.is_null());
        EXPECT_EQ((*parsed->lines)[0], 2);
        EXPECT_EQ(parsed->skipped_ops, 1u);
    }
}

TEST(JepsenLog, MalformedOpLineNamesTheLine) {
    EXPECT_EQ(error_of("INFO  jepsen.util - 4\t:invoke\t:cas\t[1 2]\nINFO  jepsen.util - 4\t:ok\n"),
              "h:2: expected PROCESS :TYPE :F [VALUE]");
    EXPECT_EQ(error_of("INFO  jepsen.util - 4\t:done\t:cas\t[1 2]\n"),
              "h:1: unknown type :done (invoke, ok, fail, info)");
    // The column is the file's, not the op's within the line.
    EXPECT_EQ(error_of("INFO  jepsen.util - 4\t:invoke\t:cas\t[1 2\n"),
              "h:1:40: unexpected end of input: '[' opened on line 1 is never closed");
    EXPECT_EQ(error_of("INFO  jepsen.util - 4\t:invoke\t:write\t\"\xff\"\n"),
              "h:1:39: invalid UTF-8 (byte 0xff); histories must be UTF-8 text");
}

// ---- history.jsonl

TEST(Jsonl, ReadsFaultlineHistories) {
    const std::string text =
        R"({"index":0,"time":1200000,"process":3,"type":"invoke","f":"write","key":1,"value":4}
{"index":1,"time":3400000,"process":3,"type":"ok","f":"write","key":1,"value":4}

{"index":7,"time":9100000,"process":2,"type":"fail","f":"cas","key":1,"value":[3,4],"error":22}
)";
    auto parsed = parse(text);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->format, Format::jsonl);
    EXPECT_TRUE(parsed->semantics.order_by_time);
    ASSERT_EQ(parsed->history.size(), 3u);
    EXPECT_EQ(parsed->history[2].index, 7);
    EXPECT_EQ(parsed->history[2].error, 22);
    EXPECT_EQ(parsed->history[2].value, Json::parse("[3, 4]"));
    EXPECT_EQ(parsed->history[1].key, 1);
    EXPECT_EQ((*parsed->lines)[2], 4);
}

TEST(Jsonl, RoundTripsThroughTheWriter) {
    History history;
    Operation op;
    op.process = 1;
    op.f = "cas";
    op.key = 3;
    op.value = Json::array({1, 2});
    op.time = 5;
    history.push_back(op);
    op.type = OpType::info;
    op.index = 1;
    op.error = "timeout";
    history.push_back(op);
    const std::string folder = faultline::testing::fresh_folder("lin-roundtrip");
    ASSERT_FALSE(folder.empty());
    const std::string path = folder + "/history.jsonl";
    ASSERT_TRUE(write_history_jsonl(path, history));
    auto parsed = read_history_file(path);
    std::filesystem::remove_all(folder);
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed->history.size(), 2u);
    EXPECT_EQ(parsed->history[1].type, OpType::info);
    EXPECT_EQ(parsed->history[1].error, "timeout");
    EXPECT_EQ(parsed->history[1].key, 3);
}

TEST(Jsonl, MalformedInputNamesFileAndLine) {
    const std::string good = R"({"process":0,"type":"invoke","f":"read"})";
    EXPECT_NE(error_of(good + "\n{\"process\":0,").find("h:2: not valid JSON"), std::string::npos);
    EXPECT_EQ(error_of(good + "\n" + R"({"process":0,"f":"read"})"), "h:2: missing string field 'type'");
    EXPECT_EQ(error_of(R"({"process":"a","type":"ok","f":"read"})"), "h:1: 'process' must be an integer, got \"a\"");
    EXPECT_EQ(error_of(R"({"type":"ok","f":"read"})"), "h:1: missing integer field 'process'");
    // Negative processes are not client ops: reading them would drop them unseen.
    EXPECT_EQ(error_of(R"({"process":-1,"type":"ok","f":"read"})"),
              "h:1: process -1 is negative (client processes are 0, 1, 2, ...)");
    EXPECT_EQ(error_of(R"({"process":1.5,"type":"ok","f":"read"})"), "h:1: 'process' must be an integer, got 1.5");
    EXPECT_EQ(error_of(R"({"process":1,"type":"ok"})"), "h:1: missing string field 'f'");
    EXPECT_EQ(error_of(R"({"process":1,"type":"done","f":"read"})"),
              "h:1: unknown operation type 'done' (invoke, ok, fail, info)");
    EXPECT_EQ(error_of(R"({"process":1,"type":"ok","f":"read"})"
                       "\n[1]",
                       Format::jsonl),
              "h:2: expected a JSON object");
}

// ---- detection and forcing

TEST(FormatDetection, FromContent) {
    EXPECT_EQ(*detect_format("  {\"process\": 1}", "h"), Format::jsonl);
    EXPECT_EQ(*detect_format("; c\n[{:process 1}]", "h"), Format::jepsen_edn);
    EXPECT_EQ(*detect_format("{:process 1}", "h"), Format::jepsen_edn);
    EXPECT_EQ(*detect_format("(", "h"), Format::jepsen_edn);
    EXPECT_EQ(*detect_format("x\nINFO  jepsen.util - 1 :invoke :read nil", "h"), Format::jepsen_log);
    auto unknown = detect_format("hello world", "h");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("h: cannot tell the history format"), std::string::npos);
}

TEST(FormatDetection, ForcingAFormatParsesWithIt) {
    const std::string edn = "{:process 0, :type :invoke, :f :read, :value nil}";
    EXPECT_NE(error_of(edn, Format::jsonl).find("h:1: not valid JSON"), std::string::npos);
    auto forced = parse(edn, Format::porcupine_kv);
    ASSERT_TRUE(forced);
    EXPECT_EQ(forced->format, Format::porcupine_kv);
    for (const char* name : {"jepsen-edn", "edn", "porcupine-kv", "jepsen-log", "jsonl"}) {
        EXPECT_TRUE(parse_format_name(name)) << name;
    }
    EXPECT_FALSE(parse_format_name("xml"));
}

TEST(Files, MissingFileIsAnError) {
    auto parsed = read_history_file("/nonexistent/h.edn");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().message, "/nonexistent/h.edn: cannot open");
}

// ---- pairing errors are history errors with file:line

TEST(Pairing, ProcessInvokingTwiceOrCompletingNothingIsAnError) {
    auto check = [](const std::string& text) -> std::string {
        auto parsed = parse_history(text, "h");
        EXPECT_TRUE(parsed);
        LinearizabilityOptions options;
        options.semantics = parsed->semantics;
        options.locate = parsed->locator();
        auto result = check_linearizability(parsed->history, options);
        EXPECT_FALSE(result);
        return result ? std::string() : result.error().message;
    };
    EXPECT_EQ(check("{:process 0 :type :invoke :f :read}\n{:process 0 :type :invoke :f :write :value 1}\n"),
              "h:2: process 0 invokes write while its read (h:1) has not completed");
    EXPECT_EQ(check("{:process 0 :type :ok :f :read :value 1}\n"),
              "h:1: process 0 completes read (ok) without an invocation");
    EXPECT_EQ(check("{:process 0 :type :invoke :f :read}\n{:process 0 :type :ok :f :write :value 1}\n"),
              "h:2: process 0 completes write but invoked read (h:1)");
    // An :info with no invocation (a nemesis-style message) is ignored.
    EXPECT_EQ(check("{:process 0 :type :info :f :read}\n{:process 0 :type :ok :f :read :value 1}\n"),
              "h:2: process 0 completes read (ok) without an invocation");
}

}  // namespace
}  // namespace faultline::check::formats
