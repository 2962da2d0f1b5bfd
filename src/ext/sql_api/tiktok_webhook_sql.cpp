// TikTok's webhook, received by the shim and judged here, where the client secret is:
// the signature is verified before a byte of the body is parsed, the client_key
// checked before its other fields, and only then is the event recorded and applied
// (tthub._apply_tiktok_event). Nothing here calls TikTok.
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/tiktok_webhook.h"
#include "ext/config/server_secrets.h"
#include "ext/config/settings.h"
#include "ext/pg/db_work.h"
#include "ext/pg/spi.h"
#include "ext/pg/sql_values.h"
#include "ext/sync/account_stops.h"

namespace {

namespace hook = tthub::tiktok_webhook;
namespace spi = tthub::spi;

Datum answer(FunctionCallInfo fcinfo, int status, const std::string &outcome) {
  Datum values[2] = {Int32GetDatum(status), PointerGetDatum(tthub::make_text(outcome))};
  bool nulls[2] = {false, false};
  return tthub::make_record(fcinfo, values, nulls);
}

}  // namespace

// tthub_tiktok_webhook(signature text, body bytea, OUT http_status integer, OUT outcome text)
TTHUB_SQL_FUNCTION(tthub_tiktok_webhook) {
  std::string header = PG_ARGISNULL(0) ? "" : std::string(tthub::arg_bytes(fcinfo, 0));
  std::string_view body = PG_ARGISNULL(1) ? std::string_view() : tthub::arg_bytes(fcinfo, 1);
  if (body.size() > hook::kMaxBodyBytes)
    return answer(fcinfo, 413, "the body is larger than " + std::to_string(hook::kMaxBodyBytes) + " bytes");

  // Fail closed: without the client secret nothing verifies.
  const char *secret = nullptr;
  try {
    secret = tthub::secrets::client_secret();
  } catch (const tthub::Error &) {
  }
  hook::Verification v = hook::verify(header, secret ? secret : "", body, tthub::epoch_ms() / 1000,
                                      tthub::settings::tiktok_webhook_tolerance_s);
  if (!v.ok()) return answer(fcinfo, 401, v.why);

  std::string client_key = tthub::settings::client_key ? tthub::settings::client_key : "";
  hook::Parsed parsed = hook::parse(body);
  if (client_key.empty()) return answer(fcinfo, 401, "tthub.client_key is not set: no event can be checked");
  if (parsed.client_key && *parsed.client_key != client_key)
    return answer(fcinfo, 401, "the event is for another app (client_key)");
  if (!parsed.event) return answer(fcinfo, 400, parsed.why);
  const hook::Event &e = *parsed.event;

  std::string outcome;
  int64_t stopped = 0;
  tthub::SubTransactions db;
  db.run([&] {
    spi::exec(
        "SELECT outcome, accounts_stopped::int8 FROM tthub._apply_tiktok_event($1, $2, $3, $4::int4, $5, $6::int4 = 1, "
        "       pg_catalog.to_timestamp($7::int8))",
        {spi::text(e.key), spi::text(e.event), spi::text(e.user_openid),
         spi::int8(e.reason ? std::optional<int64_t>(*e.reason) : std::nullopt),
         spi::text(hook::reason_text(e.reason.value_or(0))),
         spi::int4(e.reason && hook::reason_effect(*e.reason) == hook::Effect::kDisabled ? 1 : 0),
         spi::int8(e.create_time)});
    outcome = spi::get_text(0, 1).value_or("");
    stopped = spi::get_int8(0, 2).value_or(0);
  });
  // The worker's syncs look at these accounts again before their next request.
  if (stopped > 0) tthub::account_stops::announce_at_commit();
  return answer(fcinfo, 200, outcome);
}
