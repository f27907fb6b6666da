#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tool.hpp"

using namespace setm;

TEST_CASE("cli: edit distance counts a transposition as one edit") {
    CHECK(tool::edit_distance("--stroe", "--store") == 1);
    CHECK(tool::edit_distance("lst", "list") == 1);
    CHECK(tool::edit_distance("", "abc") == 3);
    CHECK(tool::edit_distance("same", "same") == 0);
    CHECK(tool::edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("cli: the closest name is offered only when it is a slip") {
    const std::vector<std::string> opts = {"--store", "--statement", "--now", "--threads", "-s"};
    CHECK(tool::closest("--stroe", opts) == "--store");
    CHECK(tool::closest("--stor", opts) == "--store");
    CHECK(tool::closest("--nwo", opts) == "--now");
    CHECK(tool::closest("--frobnicate", opts).empty());
    CHECK(tool::closest("-x", opts).empty()); // two short flags are not a slip of each other
    const std::vector<std::string> subs = {"init", "register", "revoke", "check", "list"};
    CHECK(tool::closest("lst", subs) == "list");
    CHECK(tool::closest("regster", subs) == "register");
    CHECK(tool::closest("revok", subs) == "revoke");
    CHECK(tool::closest("xyz", subs).empty());
}
