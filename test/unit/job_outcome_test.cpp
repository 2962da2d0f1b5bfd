// The rule for a sync job's outcome and its events (core/job_outcome.h), used by the
// sync engine and by the orphan requeue alike.
#include <gtest/gtest.h>

#include "core/backoff.h"
#include "core/job_outcome.h"

using namespace tthub::jobs;
using tthub::tiktok::FailureKind;

namespace {

Policy policy() {
  Policy p;
  p.max_attempts = 3;
  p.retry_base_ms = 30000;
  p.retry_cap_ms = 3600000;
  p.store_busy_retry_ms = 5000;
  return p;
}

Attempt tried(int accounts, int failed, std::string error = "") {
  Attempt a;
  a.ending = Ending::kAccountsTried;
  a.attempts = 1;
  a.accounts = accounts;
  a.accounts_failed = failed;
  a.error = std::move(error);
  return a;
}

Attempt ended(Ending e, int attempts, std::string error = "boom", long http = 0) {
  Attempt a;
  a.ending = e;
  a.attempts = attempts;
  a.error = std::move(error);
  a.http_status = http;
  return a;
}

}  // namespace

TEST(JobOutcome, EveryAccountSyncedIsDoneWithoutEvents) {
  Outcome o = decide(tried(2, 0), policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "done");
  EXPECT_EQ(o.error, "");
  EXPECT_FALSE(o.refund_attempt);
  EXPECT_FALSE(o.sync_failed_event);
  EXPECT_FALSE(o.job_dead_event);
}

TEST(JobOutcome, SomeAccountsFailedIsDoneWithTheLastFailure) {
  Outcome o = decide(tried(3, 1, "needs reconnect: revoked"), policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "done");
  EXPECT_EQ(o.error, "needs reconnect: revoked");
  EXPECT_FALSE(o.sync_failed_event) << "the job did its work; the account's own event says what failed";
}

TEST(JobOutcome, EveryAccountFailedIsFailedWithSyncFailed) {
  Outcome o = decide(tried(2, 2, "rejected"), policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "failed");
  EXPECT_EQ(o.error, "rejected");
  EXPECT_TRUE(o.sync_failed_event);
  EXPECT_FALSE(o.job_dead_event);
}

TEST(JobOutcome, NoConnectedAccountIsFailed) {
  Outcome o = decide(tried(0, 0), policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "failed");
  EXPECT_EQ(o.error, kNoAccount);
  EXPECT_TRUE(o.sync_failed_event);
}

TEST(JobOutcome, TransientFailureIsRetriedAfterABackoffAndCostsAnAttempt) {
  Outcome o = decide(ended(Ending::kRetryLater, 2, "HTTP 503", 503), policy(), 0.25);
  EXPECT_STREQ(state_name(o.state), "queued");
  EXPECT_FALSE(o.refund_attempt);
  EXPECT_EQ(o.run_after_ms, tthub::backoff_delay_ms(2, 30000, 3600000, 0.25));
  EXPECT_EQ(o.error, "HTTP 503");
  EXPECT_EQ(o.http_status, 503);
  EXPECT_TRUE(o.sync_failed_event);
  EXPECT_FALSE(o.job_dead_event);
}

TEST(JobOutcome, LastAttemptIsDeadWithBothEvents) {
  Outcome o = decide(ended(Ending::kRetryLater, 3, "HTTP 500", 500), policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "dead");
  EXPECT_EQ(o.error, "gave up after 3 attempts: HTTP 500");
  EXPECT_TRUE(o.sync_failed_event);
  EXPECT_TRUE(o.job_dead_event);
}

TEST(JobOutcome, RateLimitedIsRequeuedForWhenThePauseEndsWithoutCost) {
  Attempt a = ended(Ending::kRateLimited, 3, "TikTok rate limited video.list", 429);
  a.resume_in_ms = 12000;
  Outcome o = decide(a, policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "queued") << "even on the last attempt: a 429 spends none";
  EXPECT_TRUE(o.refund_attempt);
  EXPECT_EQ(o.run_after_ms, 12000);
  EXPECT_FALSE(o.sync_failed_event);
  EXPECT_FALSE(o.job_dead_event);
  a.resume_in_ms = 10;
  EXPECT_EQ(decide(a, policy(), 0.5).run_after_ms, 1000) << "never sooner than a second";
}

TEST(JobOutcome, BusyStoreWaitsWithoutCost) {
  Outcome o = decide(ended(Ending::kStoreBusy, 3), policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "queued");
  EXPECT_TRUE(o.refund_attempt);
  EXPECT_EQ(o.run_after_ms, 5000);
  EXPECT_EQ(o.error, kStoreBusyError);
  EXPECT_FALSE(o.sync_failed_event);
}

TEST(JobOutcome, StoppedWorkerRequeuesAtOnceWithoutCost) {
  Outcome o = decide(ended(Ending::kWorkerStopped, 3, "the worker was stopped"), policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "queued");
  EXPECT_TRUE(o.refund_attempt);
  EXPECT_EQ(o.run_after_ms, 0);
  EXPECT_EQ(o.error, "the worker was stopped");
  EXPECT_FALSE(o.sync_failed_event);
}

// The orphan requeue once decided this in PL/pgSQL on its own, and a job.dead event
// was lost: the same rule now, with the same events as any spent attempt.
TEST(JobOutcome, LostWorkerCostsTheAttemptAndIsRequeuedAtOnce) {
  Outcome o = decide(ended(Ending::kWorkerLost, 2, ""), policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "queued");
  EXPECT_FALSE(o.refund_attempt);
  EXPECT_EQ(o.run_after_ms, 0);
  EXPECT_EQ(o.error, kWorkerLostError);
  EXPECT_TRUE(o.sync_failed_event);
  EXPECT_FALSE(o.job_dead_event);
}

TEST(JobOutcome, LostWorkerOnTheLastAttemptIsDeadWithJobDead) {
  Outcome o = decide(ended(Ending::kWorkerLost, 3, ""), policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "dead");
  EXPECT_EQ(o.error, kWorkerLostError);
  EXPECT_TRUE(o.sync_failed_event);
  EXPECT_TRUE(o.job_dead_event);
}

// An admin's open transaction held a row the attempt needed: the store is not at
// fault, so no attempt is spent, nothing is sent, and it is tried again shortly.
TEST(JobOutcome, LockTimeoutWaitsWithoutCostOrEvent) {
  Outcome o = decide(ended(Ending::kLockBusy, 3, "waited too long for a lock"), policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "queued") << "not dead, though it was the last attempt";
  EXPECT_TRUE(o.refund_attempt);
  EXPECT_EQ(o.run_after_ms, 5000);
  EXPECT_EQ(o.error, "waited too long for a lock");
  EXPECT_FALSE(o.sync_failed_event);
  EXPECT_FALSE(o.job_dead_event);
}

// A missing or unknown token key is the server's problem: retried (after a backoff)
// until it is fixed, never dead, no event per store.
TEST(JobOutcome, ConfigurationErrorIsRetriedWithoutCostOrEvent) {
  Outcome o = decide(ended(Ending::kConfiguration, 3, "configuration error: no key"), policy(), 0.25);
  EXPECT_STREQ(state_name(o.state), "queued");
  EXPECT_TRUE(o.refund_attempt);
  EXPECT_GT(o.run_after_ms, 0);
  EXPECT_LE(o.run_after_ms, policy().retry_cap_ms);
  EXPECT_EQ(o.error, "configuration error: no key");
  EXPECT_FALSE(o.sync_failed_event);
  EXPECT_FALSE(o.job_dead_event);
  EXPECT_GT(decide(ended(Ending::kConfiguration, 0, "x"), policy(), 0.25).run_after_ms, 0)
      << "an attempt refunded to zero still waits";
}

// Accounts whose owner disconnected or reconnected them during the sync count as
// neither synced nor failed.
TEST(JobOutcome, SupersededAccountsAreNeitherSyncedNorFailed) {
  Attempt all = tried(2, 0);
  all.accounts_superseded = 2;
  Outcome o = decide(all, policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "done");
  EXPECT_EQ(o.error, kAllSupersededError);
  EXPECT_FALSE(o.sync_failed_event);

  Attempt rest_failed = tried(2, 1, "needs reconnect: revoked");
  rest_failed.accounts_superseded = 1;
  o = decide(rest_failed, policy(), 0.5);
  EXPECT_STREQ(state_name(o.state), "failed") << "the one account tried failed";
  EXPECT_TRUE(o.sync_failed_event);

  Attempt one_synced = tried(3, 1, "rejected");
  one_synced.accounts_superseded = 1;
  EXPECT_STREQ(state_name(decide(one_synced, policy(), 0.5).state), "done");
}

TEST(AccountOutcome, StatusAfterAFailure) {
  EXPECT_STREQ(*account_status_after(FailureKind::kReconnect), "NEED_RECONNECT");
  EXPECT_STREQ(*account_status_after(FailureKind::kFatal), "ERROR");
  EXPECT_STREQ(*account_status_after(FailureKind::kTokenInvalid), "ERROR");
  EXPECT_FALSE(account_status_after(FailureKind::kRetryable));
  EXPECT_FALSE(account_status_after(FailureKind::kMalformed));
  EXPECT_FALSE(account_status_after(FailureKind::kRateLimited));
}

TEST(AccountOutcome, WhichFailuresStopTheJobForARetry) {
  EXPECT_TRUE(retries_job(FailureKind::kRetryable));
  EXPECT_TRUE(retries_job(FailureKind::kMalformed));
  EXPECT_TRUE(retries_job(FailureKind::kRateLimited));
  EXPECT_FALSE(retries_job(FailureKind::kReconnect));
  EXPECT_FALSE(retries_job(FailureKind::kFatal));
  EXPECT_FALSE(retries_job(FailureKind::kTokenInvalid));
}

TEST(AccountOutcome, EventsOfAStatusChange) {
  EXPECT_STREQ(*account_event("CONNECTED"), "account.connected");
  EXPECT_STREQ(*account_event("NEED_RECONNECT"), "account.need_reconnect");
  EXPECT_FALSE(account_event("ERROR"));
  EXPECT_FALSE(account_event("DISABLED"));
}
