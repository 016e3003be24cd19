"""datalife.transforms: the pure core of features, windows and augmentation.

NumPy / SciPy / OpenCV functions with no TFX, no Beam and no TensorFlow at import
(``tabular.py`` and ``audio_transform.py``, the Transform ``preprocessing_fn``s,
import TensorFlow when Transform runs them). ``transform_config.py`` holds the
Transform config models the pipeline config embeds. Import the submodule you need.
"""
