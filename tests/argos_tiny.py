"""Builds a real, tiny argostranslate package whose model always outputs one known sentence."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import List

import ctranslate2
import numpy as np
import sentencepiece as spm
from ctranslate2.converters import Converter
from ctranslate2.specs import TransformerSpec

# Position tables must cover the longest input sentence the tests send (in pieces).
MAX_POSITIONS = 256
NUM_HEADS = 2
# Large enough that greedy and beam search both follow the chosen path by a wide margin.
LOGIT_SCALE = 10.0

TRAINING_SENTENCES = [
    "I need help with my passport.",
    "My employer kept my documents.",
    "Where can I find a lawyer?",
    "Necesito ayuda con mi pasaporte.",
    "Mi empleador se quedó con mis documentos.",
    "¿Dónde puedo encontrar un abogado?",
    "Mwen bezwen èd ak paspò mwen.",
    "Patron mwen kenbe papye mwen yo.",
    "Ki kote mwen ka jwenn yon avoka?",
    "They did not pay my wages!",
    "No me pagaron el salario.",
    "Yo pa peye m salè mwen.",
]


def _train_sentencepiece(sentences: List[str]) -> bytes:
    """A small unigram SentencePiece model trained in memory."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        vocab_size=120,
        hard_vocab_limit=False,  # a dozen sentences cannot fill a fixed vocabulary
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


class _SpecConverter(Converter):
    """Hands a ready-made spec to CTranslate2's own validation and serialisation."""

    def __init__(self, spec: TransformerSpec) -> None:
        self.spec = spec

    def _load(self) -> TransformerSpec:
        return self.spec


def _linear(spec, rows: int, cols: int) -> None:
    spec.weight = np.zeros((rows, cols), dtype=np.float32)
    spec.bias = np.zeros((rows,), dtype=np.float32)


def _norm(spec, depth: int) -> None:
    spec.gamma = np.ones((depth,), dtype=np.float32)
    spec.beta = np.zeros((depth,), dtype=np.float32)


def _zero_layer(layer, depth: int, cross_attention: bool) -> None:
    """Zero the sublayer outputs, so each residual stream passes through unchanged."""
    _norm(layer.self_attention.layer_norm, depth)
    _linear(layer.self_attention.linear[0], 3 * depth, depth)
    _linear(layer.self_attention.linear[1], depth, depth)
    if cross_attention:
        _norm(layer.attention.layer_norm, depth)
        _linear(layer.attention.linear[0], depth, depth)
        _linear(layer.attention.linear[1], 2 * depth, depth)
        _linear(layer.attention.linear[2], depth, depth)
    _norm(layer.ffn.layer_norm, depth)
    _linear(layer.ffn.linear_0, depth, depth)
    _linear(layer.ffn.linear_1, depth, depth)


def _spec(vocabulary: List[str], target_ids: List[int]) -> TransformerSpec:
    """A 1-layer Transformer whose decoder output depends only on the decoding step.

    Attention and feed-forward outputs are zero and token embeddings are zero, so the decoder
    state at step t is the layer norm of its position encoding, a one-hot vector e_t. The output
    projection maps e_t to target_ids[t] (then </s> for every later step).
    """
    vocab_size = len(vocabulary)
    steps = len(target_ids)
    depth = max(32, steps + (steps % 2))  # one-hot positions; even for NUM_HEADS
    spec = TransformerSpec.from_config(1, NUM_HEADS)
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)

    encoder, decoder = spec.encoder, spec.decoder
    encoder.embeddings[0].weight = np.zeros((vocab_size, depth), dtype=np.float32)
    encoder.position_encodings.encodings = np.zeros((MAX_POSITIONS, depth), dtype=np.float32)
    _norm(encoder.layer_norm, depth)
    _zero_layer(encoder.layer[0], depth, cross_attention=False)

    decoder.embeddings.weight = np.zeros((vocab_size, depth), dtype=np.float32)
    positions = np.zeros((MAX_POSITIONS, depth), dtype=np.float32)
    for step in range(MAX_POSITIONS):
        positions[step, min(step, steps - 1)] = 1.0
    decoder.position_encodings.encodings = positions
    _norm(decoder.layer_norm, depth)
    _zero_layer(decoder.layer[0], depth, cross_attention=True)

    projection = np.zeros((vocab_size, depth), dtype=np.float32)
    for step, token in enumerate(target_ids):
        projection[token, step] = LOGIT_SCALE
    decoder.projection.weight = projection
    decoder.projection.bias = np.zeros((vocab_size,), dtype=np.float32)
    return spec


def build_tiny_model(out_dir: Path, from_code: str, to_code: str, output_sentence: str) -> Path:
    """Write `<from>_<to>.argosmodel` into out_dir; its model translates any sentence to one."""
    sp_model = _train_sentencepiece(TRAINING_SENTENCES + [output_sentence])
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    pieces = processor.encode(output_sentence, out_type=str)
    if processor.decode_pieces(pieces) != output_sentence or "_" in output_sentence:
        # argostranslate turns "_" into spaces; other text must survive SentencePiece as is
        raise ValueError(f"{output_sentence!r} does not survive SentencePiece unchanged")
    vocabulary = [processor.id_to_piece(index) for index in range(processor.get_piece_size())]
    target_ids = [processor.piece_to_id(piece) for piece in pieces] + [processor.eos_id()]

    name = f"translate-{from_code}_{to_code}-1_0"
    metadata = {
        "package_version": "1.0",
        "argos_version": "1.12.1",
        "from_code": from_code,
        "from_name": from_code,
        "to_code": to_code,
        "to_name": to_code,
        "type": "translate",
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / f"{from_code}_{to_code}.argosmodel"
    with tempfile.TemporaryDirectory() as scratch:
        model_dir = Path(scratch) / "model"
        _SpecConverter(_spec(vocabulary, target_ids)).convert(str(model_dir))
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            zipped.writestr(f"{name}/metadata.json", json.dumps(metadata))
            zipped.writestr(f"{name}/sentencepiece.model", sp_model)
            for path in sorted(model_dir.iterdir()):
                zipped.write(path, f"{name}/model/{path.name}")
    return archive


def translate_directly(package_dir: Path, text: str) -> str:
    """Run an unpacked package's model without argostranslate, to check the model itself."""
    processor = spm.SentencePieceProcessor(model_file=str(package_dir / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(package_dir / "model"))
    result = translator.translate_batch([processor.encode(text, out_type=str)])
    return processor.decode_pieces(result[0].hypotheses[0])
