// setm-offer - a producer's signed SHARE message: energy for a slot, a floor
// price and an opening ask.
#include "order_tool.hpp"

static int tool_main(int argc, char** argv) {
    using namespace setm;
    CLI::App app{"Sign a producer's SHARE offer: energy for a delivery slot at a floor price.",
                 "setm-offer"};
    tool::version_flag(app);
    tool::OrderOptions o;
    tool::add_order_options(app, o, tool::Side::offer);
    app.footer(
        std::string(
            "Examples:\n"
            "  setm-offer --key solar.key --store chain --slot 2026-11-25T10:00:00Z --energy 5kWh "
            "--price 40 --opening 52\n"
            "  setm-offer --key solar.key --store chain --csv forecast.csv >> orders.jsonl\n"
            "  setm-offer --key solar.key --store chain --cancel OFFER_ID >> orders.jsonl\n"
            "  setm-offer --key solar.key --store chain --readings meter.csv | setm-mine --store "
            "chain\n\n") +
        tool::exit_codes_footer());
    if (auto rc = tool::parse(app, argc, argv)) return *rc;
    tool::store_from_env(o.store, o.chain);
    if (o.store.empty() && o.chain.empty())
        return tool::fail("setm-offer",
                          make_error(Exit::usage, "usage", "give --store DIR or --chain HASH"));
    if (!o.readings.empty())
        return tool::finish("setm-offer", tool::run_readings_tool("setm-offer", o));
    return tool::finish(
        "setm-offer", o.cancel.empty() ? tool::run_order_tool("setm-offer", tool::Side::offer, o)
                                       : tool::run_cancel_tool("setm-offer", tool::Side::offer, o));
}

int main(int argc, char** argv) {
    return setm::tool::run("setm-offer", [&] { return tool_main(argc, argv); });
}
