"""Real pandas objects, as people save them: the pandas part of rulegen.instances.

DataFrames and Series of every column kind (numbers, strings, datetimes with and without
a time zone of pytz, dateutil and zoneinfo, timedeltas, periods, intervals, categoricals,
the nullable extension arrays, sparse columns), every Index kind (RangeIndex, numeric,
object, MultiIndex, DatetimeIndex, TimedeltaIndex, PeriodIndex, CategoricalIndex,
IntervalIndex), the scalars (Timestamp, Timedelta, Period, Interval, NA, NaT, offsets)
and scikit-learn estimators fitted on DataFrames (feature_names_in_, ColumnTransformer
with column names and selectors, pandas output).

pandas_objects() returns {name: factory}, or {} when pandas is not installed (the rule
generator and the benign corpus then cover the rest only).
"""
import datetime
import importlib.util
import warnings

import numpy as np


def have_pandas():
    return importlib.util.find_spec("pandas") is not None


def _frames(pd):
    n = 6
    tz_pytz = "Europe/Berlin"
    out = {
        "frame_numbers": lambda: pd.DataFrame({"i": np.arange(n), "f": np.linspace(0, 1, n),
                                               "u8": np.arange(n, dtype=np.uint8),
                                               "f4": np.ones(n, dtype=np.float32),
                                               "b": np.arange(n) % 2 == 0}),
        "frame_object_strings": lambda: pd.DataFrame({"s": list("abcdef"), "mixed": [1, "x", 2.5, None, b"b", (1,)]}),
        "frame_datetimes": lambda: pd.DataFrame({
            "naive": pd.date_range("2020-01-01", periods=n, freq="D"),
            "pytz": pd.date_range("2020-01-01", periods=n, freq="H", tz=tz_pytz),
            "utc": pd.date_range("2020-01-01", periods=n, freq="T", tz="UTC"),
            "td": pd.to_timedelta(np.arange(n), unit="s")}),
        "frame_tz_dateutil_zoneinfo": lambda: pd.DataFrame({
            "dateutil": pd.date_range("2021-03-01", periods=n, freq="D", tz="dateutil/Europe/Paris"),
            "zoneinfo": pd.date_range("2021-03-01", periods=n, freq="D",
                                      tz=__import__("zoneinfo").ZoneInfo("America/New_York")),
            "fixed": pd.date_range("2021-03-01", periods=n, freq="D",
                                   tz=datetime.timezone(datetime.timedelta(hours=5, minutes=30)))}),
        "frame_nullable": lambda: pd.DataFrame({
            "Int64": pd.array([1, None, 3, 4, None, 6], dtype="Int64"),
            "UInt8": pd.array([1, 2, None, 4, 5, 6], dtype="UInt8"),
            "Float32": pd.array([1.5, None, 3, 4, 5, 6], dtype="Float32"),
            "boolean": pd.array([True, None, False, True, False, None], dtype="boolean"),
            "string": pd.array(["a", None, "c", "d", "e", "f"], dtype="string")}),
        "frame_categorical_period_interval": lambda: pd.DataFrame({
            "cat": pd.Categorical(list("abcabc"), categories=list("cba"), ordered=True),
            "period": pd.period_range("2020-01", periods=n, freq="M"),
            "interval": pd.interval_range(0, n),
            "sparse": pd.arrays.SparseArray([0, 0, 1, 0, 2, 0])}),
        "frame_multiindex": lambda: pd.DataFrame(
            np.arange(24.0).reshape(6, 4),
            index=pd.MultiIndex.from_product([["x", "y"], [1, 2, 3]], names=["k", "n"]),
            columns=pd.MultiIndex.from_tuples([("a", "p"), ("a", "q"), ("b", "p"), ("b", "q")])),
        "frame_attrs_flags": lambda: _with_attrs(pd.DataFrame({"a": [1, 2]}, index=pd.Index(["r", "s"], name="row"))),
        "frame_empty": lambda: pd.DataFrame(),
        "frame_wide_float32": lambda: pd.DataFrame(np.ones((3, 40), dtype=np.float32),
                                                   columns=["c%d" % i for i in range(40)]),
        "series_float": lambda: pd.Series([1.5, 2.5, np.nan], index=["a", "b", "c"], name="s"),
        "series_categorical": lambda: pd.Series(pd.Categorical(["x", "y", "x"]), name="c"),
        "series_datetime_tz": lambda: pd.Series(pd.date_range("2020-01-01", periods=3, tz="US/Eastern")),
        "series_int64_nullable": lambda: pd.Series(pd.array([1, None], dtype="Int64")),
        "series_object": lambda: pd.Series([{"k": 1}, [1, 2], "s"]),
        "series_timedelta_index": lambda: pd.Series([1, 2, 3], index=pd.timedelta_range("1 day", periods=3)),
    }
    return out


def _with_attrs(df):
    df.attrs["source"] = "unit test"
    return df.set_flags(allows_duplicate_labels=False)


def _indexes_and_scalars(pd):
    return {
        "index_int": lambda: pd.Index([3, 1, 2], name="i"),
        "index_uint_float": lambda: [pd.Index(np.arange(3, dtype=np.uint64)), pd.Index([0.5, 1.5])],
        "index_object": lambda: pd.Index(["a", "b", None]),
        "index_bool": lambda: pd.Index([True, False]),
        "index_range": lambda: pd.RangeIndex(2, 20, 3, name="r"),
        "index_multi": lambda: pd.MultiIndex.from_arrays([[1, 1, 2], ["a", "b", "a"]], names=["n", "l"]),
        "index_datetime": lambda: pd.date_range("2020-01-01", periods=4, freq="B"),
        "index_datetime_tz": lambda: pd.date_range("2020-01-01", periods=3, freq="H", tz="Asia/Tokyo"),
        "index_timedelta": lambda: pd.timedelta_range("1h", periods=3, freq="30T"),
        "index_period": lambda: pd.period_range("2020Q1", periods=4, freq="Q"),
        "index_categorical": lambda: pd.CategoricalIndex(["a", "b", "a"], categories=["a", "b", "c"]),
        "index_interval": lambda: pd.interval_range(0.0, 1.0, periods=4, closed="left"),
        "index_nullable": lambda: pd.Index(pd.array([1, 2, None], dtype="Int64")),
        "categorical": lambda: pd.Categorical(["lo", "hi", "lo", None], categories=["lo", "hi"], ordered=True),
        "scalars_time": lambda: [pd.Timestamp("2020-01-02 03:04:05.123456789"),
                                 pd.Timestamp("2020-01-02", tz="UTC"),
                                 pd.Timestamp("2020-06-01", tz="Europe/Berlin"),
                                 pd.Timedelta("1 day 2h 3ns"), pd.Period("2020-01", freq="M"),
                                 pd.Period("2020-01-01 10:00", freq="H"), pd.NaT, pd.NA],
        "scalars_interval": lambda: [pd.Interval(0, 1), pd.Interval(pd.Timestamp("2020"), pd.Timestamp("2021"))],
        "offsets": lambda: [pd.offsets.Day(2), pd.offsets.Hour(), pd.offsets.MonthEnd(2),
                            pd.offsets.BusinessDay(3), pd.offsets.Week(weekday=1),
                            pd.offsets.QuarterBegin(startingMonth=2), pd.offsets.YearEnd(),
                            pd.offsets.DateOffset(months=1, days=2), pd.offsets.Minute(5),
                            pd.offsets.Nano(7), pd.offsets.CustomBusinessDay(holidays=["2020-01-01"])],
        "dtypes": lambda: [pd.CategoricalDtype(["a", "b"], ordered=True), pd.DatetimeTZDtype(tz="UTC"),
                           pd.PeriodDtype("D"), pd.IntervalDtype("int64", "right"), pd.Int64Dtype(),
                           pd.Float64Dtype(), pd.BooleanDtype(), pd.StringDtype(), pd.SparseDtype("float", 0.0),
                           pd.UInt32Dtype()],
        "extension_arrays": lambda: [pd.array([1, None], dtype="Int16"), pd.array([0.5, None], dtype="Float64"),
                                     pd.array([True, None], dtype="boolean"), pd.array(["x", None], dtype="string"),
                                     pd.arrays.SparseArray([0.0, 1.5, 0.0]), pd.array([1.5, 2.5]),
                                     pd.array(pd.date_range("2020", periods=2)),
                                     pd.array(pd.timedelta_range("1s", periods=2)),
                                     pd.array(pd.period_range("2020", periods=2, freq="Y")),
                                     pd.arrays.IntervalArray.from_breaks([0, 1, 2])],
    }


def _fitted(pd):
    from sklearn import compose, ensemble, linear_model, pipeline, preprocessing, impute
    rng = np.random.RandomState(0)
    n = 40
    df = pd.DataFrame({"num": rng.normal(size=n), "num2": np.abs(rng.normal(size=n)),
                       "cat": pd.Categorical(np.array(["a", "b", "c"])[np.arange(n) % 3]),
                       "txt": np.array(["u", "v"], dtype=object)[np.arange(n) % 2]})
    y = pd.Series(np.arange(n) % 2, name="target")

    def fit(est, X=None, y_=None):
        def build():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return est.fit(df if X is None else X, y if y_ is None else y_)
        return build

    num = ["num", "num2"]
    return {
        "sk_logistic_feature_names": fit(linear_model.LogisticRegression(), df[num]),
        "sk_scaler_pandas_output": fit(preprocessing.StandardScaler().set_output(transform="pandas"), df[num]),
        "sk_column_transformer_names": fit(pipeline.make_pipeline(
            compose.ColumnTransformer([("num", preprocessing.StandardScaler(), num),
                                       ("cat", preprocessing.OneHotEncoder(handle_unknown="ignore"), ["cat", "txt"])]),
            linear_model.LogisticRegression())),
        "sk_column_selector_pandas_output": fit(pipeline.make_pipeline(
            compose.ColumnTransformer([
                ("num", pipeline.make_pipeline(impute.SimpleImputer(), preprocessing.StandardScaler()),
                 compose.make_column_selector(dtype_include=np.number)),
                ("cat", preprocessing.OrdinalEncoder(), compose.make_column_selector(dtype_include="category"))],
                remainder="drop").set_output(transform="pandas"),
            ensemble.RandomForestClassifier(n_estimators=3, random_state=0))),
        "sk_hgb_categorical_frame": fit(ensemble.HistGradientBoostingClassifier(
            max_iter=3, categorical_features=[False, False, True]),
            df[["num", "num2"]].assign(code=df["cat"].cat.codes)),
        "sk_ridge_series_target": fit(linear_model.Ridge(), df[num], pd.Series(rng.normal(size=n), name="y")),
    }


def pandas_objects():
    """{name: factory} of the pandas objects, or {} without pandas."""
    if not have_pandas():
        return {}
    import pandas as pd
    out = {}
    for group in (_frames(pd), _indexes_and_scalars(pd), _fitted(pd)):
        out.update(group)
    return {"pandas_" + k: v for k, v in out.items()}
