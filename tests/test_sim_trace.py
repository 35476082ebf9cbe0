"""Exact traces of tiny models with fixed durations, in SimPy's style: each test asserts the
whole list of ``(case, activity, member, start, end)``. Worked out by hand from the semantics in
:mod:`bpr.sim.engine` (simulation time 0 is Monday 00:00)."""

from __future__ import annotations

import pytest
from trace_helpers import raw_rows, trace

from bpr.model import loads
from bpr.sim.streams import CaseStream, uniform_sampler


def one_pool(pool: str, activity: str, interarrival: str = "1m", extra: str = "") -> str:
    return f"""
name: trace
arrivals: {{interarrival: {interarrival}}}
calendars:
  office: {{mon-fri: 09:00-17:00}}
  early: {{all: 06:00-14:00}}
  late: {{all: 14:00-22:00}}
{extra}
pools:
  {pool}
activities:
  - {activity}
"""


# -- queue discipline and member choice ---------------------------------------------------------
def test_fifo_order_count_pool():
    # one clerk, 5 minutes each, a case every minute: served strictly in arrival order
    m = one_pool("P: {count: 1, members: [Ann]}", "A: {pool: P, duration: 5m}")
    assert trace(m, 4) == [
        (1, "A", "Ann", "Mon 00:00", "Mon 00:05"),
        (2, "A", "Ann", "Mon 00:05", "Mon 00:10"),
        (3, "A", "Ann", "Mon 00:10", "Mon 00:15"),
        (4, "A", "Ann", "Mon 00:15", "Mon 00:20"),
    ]


def test_fifo_order_pool_of_people():
    m = one_pool("P: {members: [Ann]}", "A: {pool: P, duration: 5m}",
                 extra="people: {Ann: {}}")
    assert trace(m, 4) == [
        (1, "A", "Ann", "Mon 00:00", "Mon 00:05"),
        (2, "A", "Ann", "Mon 00:05", "Mon 00:10"),
        (3, "A", "Ann", "Mon 00:10", "Mon 00:15"),
        (4, "A", "Ann", "Mon 00:15", "Mon 00:20"),
    ]


LONGEST_IDLE = """
name: idle
{people}
pools:
  P: {pool}
activities:
  X: {{pool: P, duration: 3m}}
  Y: {{pool: P, duration: 5m}}
  Z: {{pool: P, duration: 1m}}
gateways: {{fork: and, join: and}}
flow:
  - start -> fork
  - fork -> X -> join
  - fork -> Y -> join
  - join -> Z -> end
"""


def test_longest_idle_member_is_chosen_count_pool():
    # X (Ann) ends at 3, Y (Bob) at 5: at 5 both are free; Ann has been idle longer
    m = LONGEST_IDLE.format(people="", pool="{count: 2, members: [Ann, Bob]}")
    assert trace(m, 1) == [
        (1, "X", "Ann", "Mon 00:00", "Mon 00:03"),
        (1, "Y", "Bob", "Mon 00:00", "Mon 00:05"),
        (1, "Z", "Ann", "Mon 00:05", "Mon 00:06"),
    ]


def test_longest_idle_member_is_chosen_pool_of_people():
    m = LONGEST_IDLE.format(people="people: {Ann: {}, Bob: {}}", pool="{members: [Ann, Bob]}")
    assert trace(m, 1) == [
        (1, "X", "Ann", "Mon 00:00", "Mon 00:03"),
        (1, "Y", "Bob", "Mon 00:00", "Mon 00:05"),
        (1, "Z", "Ann", "Mon 00:05", "Mon 00:06"),
    ]


# -- shifts -------------------------------------------------------------------------------------
def test_pause_and_resume_across_shift_end_holds_the_member():
    # 10 h of work from Mon 09:00 in an 8-hour day: 8 h Monday, 2 h Tuesday. The second case
    # (Mon 18:00) cannot start at Tuesday 09:00: the only clerk is still held by the first.
    m = one_pool("P: {count: 1, members: [Ann], calendar: office}",
                 "A: {pool: P, duration: 10h}", interarrival="18h")
    assert trace(m, 2) == [
        (1, "A", "Ann", "Mon 09:00", "Tue 11:00"),
        (2, "A", "Ann", "Tue 11:00", "Wed 13:00"),
    ]


def test_shift_end_finish_runs_after_hours_count_pool():
    # finish: the first case runs on to 19:00; the clerk is unavailable until then and takes
    # the second case at the next opening
    m = one_pool("P: {count: 1, members: [Ann], calendar: office, shift_end: finish}",
                 "A: {pool: P, duration: 10h}", interarrival="18h")
    assert trace(m, 2) == [
        (1, "A", "Ann", "Mon 09:00", "Mon 19:00"),
        (2, "A", "Ann", "Tue 09:00", "Tue 19:00"),
    ]


def test_shift_end_finish_pool_of_people():
    m = one_pool("P: {members: [Ann], calendar: office, shift_end: finish}",
                 "A: {pool: P, duration: 10h}", interarrival="18h", extra="people: {Ann: {}}")
    assert trace(m, 2) == [
        (1, "A", "Ann", "Mon 09:00", "Mon 19:00"),
        (2, "A", "Ann", "Tue 09:00", "Tue 19:00"),
    ]


def test_per_member_calendars_and_speed():
    # Ann works 06-14, Bob 14-22 at 1.5x speed. Cases every 2.5 h from Monday 00:00, 3 h each.
    # Ann takes the first three as they come; the third pauses at 14:00 and she keeps it until
    # Tuesday; Bob comes on at 14:00, takes the fourth and needs 2 h for it.
    m = one_pool("P: {members: [Ann, Bob]}", "A: {pool: P, duration: 3h}",
                 interarrival="150m",
                 extra="people:\n  Ann: {calendar: early}\n  Bob: {calendar: late, speed: 1.5}")
    assert trace(m, 4) == [
        (1, "A", "Ann", "Mon 06:00", "Mon 09:00"),
        (2, "A", "Ann", "Mon 09:00", "Mon 12:00"),
        (3, "A", "Ann", "Mon 12:00", "Tue 07:00"),
        (4, "A", "Bob", "Mon 14:00", "Mon 16:00"),
    ]


def test_whoever_can_start_first_takes_the_work():
    # case 2 arrives at Mon 13:00: Ann (06-14) is busy until 13:30, Bob (14-22) is free but off
    # until 14:00. Ann can start first, so she takes it (and finishes it on Tuesday).
    m = one_pool("P: {members: [Ann, Bob]}", "A: {pool: P, duration: 450m}", interarrival="13h",
                 extra="people:\n  Ann: {calendar: early}\n  Bob: {calendar: late}")
    assert trace(m, 2) == [
        (1, "A", "Ann", "Mon 06:00", "Mon 13:30"),
        (2, "A", "Ann", "Mon 13:30", "Tue 13:00"),
    ]


def test_availability_zero_on_mondays():
    # Ann is never in on Mondays: work queued on Monday starts on Tuesday at 06:00
    m = one_pool("P: {members: [Ann]}", "A: {pool: P, duration: 1h}", interarrival="1h",
                 extra="people:\n  Ann: {calendar: early, availability: {mon: 0}}")
    assert trace(m, 2) == [
        (1, "A", "Ann", "Tue 06:00", "Tue 07:00"),
        (2, "A", "Ann", "Tue 07:00", "Tue 08:00"),
    ]


def test_paused_work_resumes_on_the_next_day_in():
    # the first case arrives on Sunday; 10 h from Sun 06:00 in 8-hour days: 8 h on Sunday,
    # Monday out, 2 h on Tuesday
    m = one_pool("P: {members: [Ann]}", "A: {pool: P, duration: 10h}",
                 interarrival="1h", extra="people:\n  Ann: {calendar: early, availability: "
                 "{mon: 0}}\n").replace("arrivals: {interarrival: 1h}",
                                        "arrivals: {interarrival: 1h, calendar: sundays}")
    m = m.replace("calendars:", "calendars:\n  sundays: {sun: 00:00-24:00}")
    assert trace(m, 1) == [(1, "A", "Ann", "Sun 06:00", "Tue 08:00 +1w")]


def test_person_in_two_pools_never_does_two_tasks_at_once():
    # Ann is a generalist and the only specialist. Case 1 forks into G (Ann, first free) and S
    # (waits for Ann); case 2's G goes to Bob; Ann then does the specialist work in line order
    m = """
name: two pools
arrivals: {interarrival: 10m}
people: {Ann: {}, Bob: {}}
pools:
  generalists: {members: [Ann, Bob]}
  specialists: {members: [Ann]}
activities:
  G: {pool: generalists, duration: 30m}
  S: {pool: specialists, duration: 20m}
gateways: {fork: and, join: and}
flow:
  - start -> fork
  - fork -> G -> join
  - fork -> S -> join
  - join -> end
"""
    assert trace(m, 2) == [
        (1, "G", "Ann", "Mon 00:00", "Mon 00:30"),
        (2, "G", "Bob", "Mon 00:10", "Mon 00:40"),
        (1, "S", "Ann", "Mon 00:30", "Mon 00:50"),
        (2, "S", "Ann", "Mon 00:50", "Mon 01:10"),
    ]


# -- priorities ---------------------------------------------------------------------------------
PRIORITY = """
name: priority
arrivals: {{interarrival: 1m}}
pools:
  P: {{count: 1, members: [Ann], dispatch: {dispatch}}}
activities:
  - A: {{pool: P, duration: 10m}}
  - B: {{pool: P, duration: 10m{prio}}}
"""


def test_activity_priority_serves_later_steps_first():
    # B has priority 5: once case 1 waits for B, it is served before the waiting A's
    m = PRIORITY.format(dispatch="priority", prio=", priority: 5")
    assert trace(m, 3) == [
        (1, "A", "Ann", "Mon 00:00", "Mon 00:10"),
        (2, "A", "Ann", "Mon 00:10", "Mon 00:20"),
        (1, "B", "Ann", "Mon 00:20", "Mon 00:30"),
        (2, "B", "Ann", "Mon 00:30", "Mon 00:40"),
        (3, "A", "Ann", "Mon 00:40", "Mon 00:50"),
        (3, "B", "Ann", "Mon 00:50", "Mon 01:00"),
    ]


def test_same_model_fifo_serves_in_arrival_order():
    m = PRIORITY.format(dispatch="fifo", prio="")
    assert trace(m, 3) == [
        (1, "A", "Ann", "Mon 00:00", "Mon 00:10"),
        (2, "A", "Ann", "Mon 00:10", "Mon 00:20"),
        (3, "A", "Ann", "Mon 00:20", "Mon 00:30"),
        (1, "B", "Ann", "Mon 00:30", "Mon 00:40"),
        (2, "B", "Ann", "Mon 00:40", "Mon 00:50"),
        (3, "B", "Ann", "Mon 00:50", "Mon 01:00"),
    ]


def test_case_attribute_priority_then_fifo_within_a_level():
    # one clerk, 10 min each, a case a minute: after case 1 the gold cases go first, each level
    # in arrival order. Which cases are gold is drawn from the stream 'attribute:customer'.
    m = """
name: gold first
arrivals: {interarrival: 1m}
case_attributes:
  customer: {values: {gold: 0.5, standard: 0.5}, priority: {gold: 1}}
pools:
  P: {count: 1, members: [Ann], dispatch: priority}
activities:
  - A: {pool: P, duration: 10m}
"""
    n, seed = 10, 2
    stream = CaseStream(uniform_sampler(), seed, 0, "attribute:customer")
    gold = [c + 1 for c in range(n) if stream.first(c) < 0.5]
    standard = [c + 1 for c in range(n) if c + 1 not in gold]
    order = [1] + [c for c in gold if c != 1] + [c for c in standard if c != 1]
    assert order != list(range(1, n + 1)), "the draw must put some gold case ahead"
    assert [c for c, *_ in trace(m, n, seed)] == order
    assert all(row[2] == "Ann" for row in trace(m, n, seed))


def test_priority_pool_of_people():
    m = PRIORITY.format(dispatch="priority", prio=", priority: 5").replace(
        "{count: 1, members: [Ann], dispatch: priority}", "{members: [Ann], dispatch: priority}"
    ).replace("pools:", "people: {Ann: {}}\npools:")
    assert [(c, a) for c, a, *_ in trace(m, 3)] == [(1, "A"), (2, "A"), (1, "B"), (2, "B"),
                                                     (3, "A"), (3, "B")]


# -- batching -----------------------------------------------------------------------------------
def batch_model(batch: str, pool: str = "P: {count: 1, members: [Ann]}",
                interarrival: str = "5m", duration: str = "10m") -> str:
    return f"""
name: batch
arrivals: {{interarrival: {interarrival}}}
pools:
  {pool}
activities:
  - Print: {{pool: P, duration: {duration}, batch: {batch}}}
"""


def test_batch_of_three_sequential():
    # released when the third case arrives (0:10, 0:25); one clerk works them one by one
    assert trace(batch_model("{size: 3}"), 6) == [
        (1, "Print", "Ann", "Mon 00:10", "Mon 00:20"),
        (2, "Print", "Ann", "Mon 00:20", "Mon 00:30"),
        (3, "Print", "Ann", "Mon 00:30", "Mon 00:40"),
        (4, "Print", "Ann", "Mon 00:40", "Mon 00:50"),
        (5, "Print", "Ann", "Mon 00:50", "Mon 01:00"),
        (6, "Print", "Ann", "Mon 01:00", "Mon 01:10"),
    ]


def test_batch_of_three_parallel_with_costs_shared():
    m = batch_model("{size: 3, mode: parallel}",
                    pool="P: {count: 1, members: [Ann], hourly_rate: 60}")
    assert trace(m, 6) == [
        (1, "Print", "Ann", "Mon 00:10", "Mon 00:20"),
        (2, "Print", "Ann", "Mon 00:10", "Mon 00:20"),
        (3, "Print", "Ann", "Mon 00:10", "Mon 00:20"),
        (4, "Print", "Ann", "Mon 00:25", "Mon 00:35"),
        (5, "Print", "Ann", "Mon 00:25", "Mon 00:35"),
        (6, "Print", "Ann", "Mon 00:25", "Mon 00:35"),
    ]
    rows, _ = raw_rows(m, 6)
    # 10 minutes at 60 an hour shared by three cases
    assert [round(r[6], 9) for r in rows] == [round(10 / 3, 9)] * 6


def test_batch_released_after_max_wait():
    # size 3 never reached by the fourth case: it goes after waiting 12 minutes
    assert trace(batch_model("{size: 3, max_wait: 12m, mode: parallel}"), 4) == [
        (1, "Print", "Ann", "Mon 00:10", "Mon 00:20"),
        (2, "Print", "Ann", "Mon 00:10", "Mon 00:20"),
        (3, "Print", "Ann", "Mon 00:10", "Mon 00:20"),
        (4, "Print", "Ann", "Mon 00:27", "Mon 00:37"),
    ]


def test_batch_released_at_a_time_of_day():
    m = batch_model("{at: '09:00'}", interarrival="2h")
    assert trace(m, 3) == [
        (1, "Print", "Ann", "Mon 09:00", "Mon 09:10"),
        (2, "Print", "Ann", "Mon 09:10", "Mon 09:20"),
        (3, "Print", "Ann", "Mon 09:20", "Mon 09:30"),
    ]


def test_partial_batch_released_when_nothing_else_can_happen():
    assert trace(batch_model("{size: 5}"), 3) == [
        (1, "Print", "Ann", "Mon 00:10", "Mon 00:20"),
        (2, "Print", "Ann", "Mon 00:20", "Mon 00:30"),
        (3, "Print", "Ann", "Mon 00:30", "Mon 00:40"),
    ]


def test_sequential_batch_pauses_between_pieces_and_finish_runs_on():
    office = "calendars: {office: {mon-fri: 09:00-17:00}}\npools:"
    pause = batch_model("{size: 2}", pool="P: {count: 1, members: [Ann], calendar: office}",
                        interarrival="1m", duration="5h").replace("pools:", office)
    assert trace(pause, 2) == [
        (1, "Print", "Ann", "Mon 09:00", "Mon 14:00"),
        (2, "Print", "Ann", "Mon 14:00", "Tue 11:00"),
    ]
    finish = pause.replace("calendar: office}", "calendar: office, shift_end: finish}")
    assert trace(finish, 2) == [
        (1, "Print", "Ann", "Mon 09:00", "Mon 14:00"),
        (2, "Print", "Ann", "Mon 14:00", "Mon 19:00"),
    ]


def test_batch_without_a_pool_runs_in_elapsed_time():
    m = """
name: nightly
arrivals: {interarrival: 3h}
activities:
  - Export: {duration: 30m, batch: {at: '02:00', mode: parallel}}
"""
    assert trace(m, 2) == [
        (1, "Export", None, "Mon 02:00", "Mon 02:30"),
        (2, "Export", None, "Tue 02:00", "Tue 02:30"),
    ]


def test_models_in_this_file_round_trip():
    from bpr.model import dumps

    for text in (batch_model("{size: 3, max_wait: 12m, at: ['09:00', '16:30'], mode: parallel}"),
                 PRIORITY.format(dispatch="priority", prio=", priority: 5")):
        m = loads(text)
        assert loads(dumps(m)) == m


def test_released_batches_wait_for_the_member_in_release_order():
    # batches of two released at 0:01, 0:03, 0:05; each takes the clerk 20 minutes
    m = batch_model("{size: 2, mode: parallel}", interarrival="1m", duration="20m")
    assert [(c, s, e) for c, _, _, s, e in trace(m, 6)] == [
        (1, "Mon 00:01", "Mon 00:21"), (2, "Mon 00:01", "Mon 00:21"),
        (3, "Mon 00:21", "Mon 00:41"), (4, "Mon 00:21", "Mon 00:41"),
        (5, "Mon 00:41", "Mon 01:01"), (6, "Mon 00:41", "Mon 01:01"),
    ]


def test_a_batch_goes_to_the_longest_idle_member():
    # arrivals only in the first 90 s of each week: cases at Mon 0:00, 0:01, next Mon 0:00:30;
    # by then both are free and Ann has been idle longer
    m = batch_model("{size: 1}", pool="P: {count: 2, members: [Ann, Bob]}",
                    interarrival="1m", duration="10m").replace(
        "arrivals: {interarrival: 1m}", "arrivals: {interarrival: 1m, calendar: burst}\n"
        "calendars: {burst: {mon: '00:00-00:01:30'}}")
    assert trace(m, 3) == [
        (1, "Print", "Ann", "Mon 00:00", "Mon 00:10"),
        (2, "Print", "Bob", "Mon 00:01", "Mon 00:11"),
        (3, "Print", "Ann", "Mon 00:00:30 +1w", "Mon 00:10:30 +1w"),
    ]


def stats_of(text: str, cases: int):
    from bpr.sim.compiled import compile_model
    from bpr.sim.engine import Replication

    return Replication(compile_model(loads(text)), seed=1, replication=0, week_offset=0.0,
                       cases=cases).run()


def test_the_observation_window_ends_with_the_last_case():
    # the case waits from 0:00 and Ann takes it at 06:00; Bob's wake-up at 14:00 and a lapsed
    # batch timer at 10:00 must not stretch the window (throughput, WIP, utilisation)
    people = one_pool("P: {members: [Ann, Bob]}", "A: {pool: P, duration: 30m}",
                      extra="people:\n  Ann: {calendar: early}\n  Bob: {calendar: late}")
    assert stats_of(people, 1).horizon_hours == 6.5
    batch = batch_model("{size: 2, max_wait: 10h}", interarrival="1m", duration="10m")
    st = stats_of(batch, 2)
    assert st.horizon_hours == (1 + 20) / 60
    assert st.kpis["throughput_cases_per_day"] == pytest.approx(2 / (21 / 60 / 24))
