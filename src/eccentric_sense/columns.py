"""Column names of the rep table and the set table.

These names are a public contract (other tools read our JSON and CSV), so they
live in one place and every module refers to them through these constants.
The meaning of each column is documented in ``docs/rep-table.md``.
"""

from __future__ import annotations

SET = "set"
REP = "rep"
ECC_START_S = "ecc_start_s"
ECC_END_S = "ecc_end_s"
ECC_DURATION_S = "ecc_duration_s"
ECC_MEAN_VELOCITY = "ecc_mean_velocity_m_s"
ECC_PEAK_VELOCITY = "ecc_peak_velocity_m_s"
BOTTOM_PEAK_DECEL = "bottom_peak_decel_m_s2"
CON_START_S = "con_start_s"
CON_END_S = "con_end_s"
CON_DURATION_S = "con_duration_s"
CON_MEAN_VELOCITY = "con_mean_velocity_m_s"
CON_PEAK_VELOCITY = "con_peak_velocity_m_s"
ROM = "rom_m"
PAUSE_BOTTOM_S = "pause_bottom_s"
PAUSE_TOP_S = "pause_top_s"
TEMPO = "tempo"
CONTROL_SCORE = "control_score"
FLAGS = "flags"

#: Every rep-table column, in the documented order.
REP_TABLE_COLUMNS: tuple[str, ...] = (
    SET,
    REP,
    ECC_START_S,
    ECC_END_S,
    ECC_DURATION_S,
    ECC_MEAN_VELOCITY,
    ECC_PEAK_VELOCITY,
    BOTTOM_PEAK_DECEL,
    CON_START_S,
    CON_END_S,
    CON_DURATION_S,
    CON_MEAN_VELOCITY,
    CON_PEAK_VELOCITY,
    ROM,
    PAUSE_BOTTOM_S,
    PAUSE_TOP_S,
    TEMPO,
    CONTROL_SCORE,
    FLAGS,
)

#: Numeric rep-table columns (everything but ``tempo`` and ``flags``).
REP_TABLE_NUMERIC: tuple[str, ...] = tuple(
    c for c in REP_TABLE_COLUMNS if c not in (TEMPO, FLAGS)
)

# Set-table columns (the ``sets`` entries of the JSON output).
SET_START_S = "start_s"
SET_END_S = "end_s"
SET_REPS = "reps"
SET_FIRST_PHASE = "first_phase"  # "eccentric" or "concentric": the detected rep order
SET_TIME_UNDER_LOAD_S = "time_under_load_s"  # summed eccentric time
SET_MEAN_ECC_DURATION_S = "mean_ecc_duration_s"
SET_VELOCITY_LOSS_PCT = "velocity_loss_pct"
SET_MEAN_CON_VELOCITY = "mean_con_velocity_m_s"
SET_MEAN_ECC_VELOCITY = "mean_ecc_velocity_m_s"
SET_FLAGS = "flags"

SET_TABLE_COLUMNS: tuple[str, ...] = (
    SET,
    SET_START_S,
    SET_END_S,
    SET_REPS,
    SET_FIRST_PHASE,
    SET_TIME_UNDER_LOAD_S,
    SET_MEAN_ECC_DURATION_S,
    SET_MEAN_ECC_VELOCITY,
    SET_MEAN_CON_VELOCITY,
    SET_VELOCITY_LOSS_PCT,
    SET_FLAGS,
)

# Trace columns (``AnalysisResult.trace()``, ``analyze --trace``): the
# analysed signal sample by sample, with the set, rep and phase it belongs to.
TRACE_TIME_S = "time_s"
TRACE_PHASE = "phase"  # "eccentric", "concentric", "pause" (between a rep's phases) or ""
TRACE_VERTICAL_ACC = "vertical_acc_m_s2"
TRACE_VELOCITY = "velocity_m_s"
TRACE_DISPLACEMENT = "displacement_m"
TRACE_AT_REST = "at_rest"
TRACE_GAP = "gap"
#: Phase labels of the trace besides the two phase kinds.
TRACE_PAUSE = "pause"

TRACE_COLUMNS: tuple[str, ...] = (
    TRACE_TIME_S,
    SET,
    REP,
    TRACE_PHASE,
    TRACE_VERTICAL_ACC,
    TRACE_VELOCITY,
    TRACE_DISPLACEMENT,
    TRACE_AT_REST,
    TRACE_GAP,
)

#: Rule id of the one flag the analysis itself sets (defined in the rep-table spec).
UNCONTROLLED_DESCENT = "uncontrolled_descent"
