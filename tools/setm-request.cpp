// setm-request - a consumer's signed REQUEST: energy for a slot, a ceiling
// price, an opening bid, and optionally the offers or producers it accepts.
#include "order_tool.hpp"

static int tool_main(int argc, char** argv) {
    using namespace setm;
    CLI::App app{"Sign a consumer's REQUEST: energy for a delivery slot up to a ceiling price.",
                 "setm-request"};
    tool::version_flag(app);
    tool::OrderOptions o;
    tool::add_order_options(app, o, tool::Side::request);
    app.footer(
        std::string(
            "Examples:\n"
            "  setm-request --key home.key --store chain --slot 2026-11-25T10:00:00Z "
            "--energy 2kWh --price 46 --opening 34\n"
            "  setm-request --key home.key --store chain --csv day.csv --from "
            "PRODUCER_ID >> orders.jsonl\n"
            "  setm-request --key home.key --store chain --cancel REQUEST_ID >> orders.jsonl\n"
            "  setm-request --key home.key --store chain --readings meter.csv | setm-mine --store "
            "chain\n\n") +
        tool::exit_codes_footer());
    if (auto rc = tool::parse(app, argc, argv)) return *rc;
    tool::store_from_env(o.store, o.chain);
    if (o.store.empty() && o.chain.empty())
        return tool::fail("setm-request",
                          make_error(Exit::usage, "usage", "give --store DIR or --chain HASH"));
    if (!o.readings.empty())
        return tool::finish("setm-request", tool::run_readings_tool("setm-request", o));
    return tool::finish("setm-request",
                        o.cancel.empty()
                            ? tool::run_order_tool("setm-request", tool::Side::request, o)
                            : tool::run_cancel_tool("setm-request", tool::Side::request, o));
}

int main(int argc, char** argv) {
    return setm::tool::run("setm-request", [&] { return tool_main(argc, argv); });
}
