/* rules_engine.h - names the engine itself vouches for, in the X-macro form of
 * rules_gen.h, sorted by module then qualname (bytewise); always in use, beside the
 * generated or the hand-made tables. They are safe by name because the engine judges
 * what they do with their arguments (spec/SAFETY.md section 6): copyreg's helpers by
 * the class they build, joblib's array wrappers by the payload and attributes it reads
 * as joblib does; or because they are plain Python types a pickle names as values
 * (dtype=int). */
JLP_RULE(SAFE, "builtins", "Ellipsis", "python singleton")
JLP_RULE(SAFE, "builtins", "NotImplemented", "python singleton")
JLP_RULE(SAFE, "builtins", "bool", "python data type")
JLP_RULE(SAFE, "builtins", "float", "python data type")
JLP_RULE(SAFE, "builtins", "int", "python data type")
JLP_RULE(SAFE, "builtins", "object", "python base type (the engine judges the class built on it)")
JLP_RULE(SAFE, "builtins", "str", "python data type")
JLP_RULE(SAFE, "builtins", "tuple", "python data type")
JLP_RULE(SAFE, "copyreg", "__newobj__", "builds an object of the class it is given (the engine judges that class)")
JLP_RULE(SAFE, "copyreg", "__newobj_ex__", "builds an object of the class it is given (the engine judges that class)")
JLP_RULE(SAFE, "copyreg", "_reconstructor", "builds an object of the class it is given (the engine judges that class)")
JLP_RULE(SAFE, "joblib.numpy_pickle", "NDArrayWrapper", "joblib array wrapper (the engine reads it as joblib does)")
JLP_RULE(SAFE, "joblib.numpy_pickle", "NumpyArrayWrapper", "joblib array wrapper (the engine reads it as joblib does)")
JLP_RULE(SAFE, "joblib.numpy_pickle", "ZNDArrayWrapper", "joblib array wrapper (the engine reads it as joblib does)")
JLP_RULE(SAFE, "joblib.numpy_pickle_compat", "NDArrayWrapper", "joblib array wrapper (the engine reads it as joblib does)")
JLP_RULE(SAFE, "joblib.numpy_pickle_compat", "ZNDArrayWrapper", "joblib array wrapper (the engine reads it as joblib does)")
JLP_RULE(SAFE, "sklearn.externals.joblib.numpy_pickle", "NDArrayWrapper", "joblib array wrapper (the engine reads it as joblib does)")
JLP_RULE(SAFE, "sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper", "joblib array wrapper (the engine reads it as joblib does)")
JLP_RULE(SAFE, "sklearn.externals.joblib.numpy_pickle", "ZNDArrayWrapper", "joblib array wrapper (the engine reads it as joblib does)")
JLP_RULE(SAFE, "sklearn.externals.joblib.numpy_pickle_compat", "NDArrayWrapper", "joblib array wrapper (the engine reads it as joblib does)")
JLP_RULE(SAFE, "sklearn.externals.joblib.numpy_pickle_compat", "ZNDArrayWrapper", "joblib array wrapper (the engine reads it as joblib does)")
