"""datalife.transforms.embeddings: fixed-length feature vectors for images
(``image``: EfficientNet-Lite0 pretrained on ImageNet), audio clips (``audio``:
log-mel statistics) and text (``text``: hashed n-gram TF-IDF + randomized SVD), the
feature spaces in which label propagation looks for neighbours.

Import the submodule you need; this package imports nothing heavy on its own.
"""
