"""Password hashing with argon2id (OWASP parameters: 19 MiB, t=2) and the password policy:
a length, not the user's own name, and not guessable by zxcvbn (its frequency lists of leaked
passwords, names and words, keyboard patterns, dates and repeats)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn's scale 0–4; 3 = "safely unguessable: moderate protection from offline attacks".
MIN_SCORE = 3
ZXCVBN_MAX_LENGTH = 72  # zxcvbn's own limit; the rest of a longer password only adds strength

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return True if the password matches the hash (never for an account without one)."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, personal: tuple[str, ...] = ()) -> str | None:
    """Return what is wrong with a new password, or None. `personal`: the user's name,
    display name and e-mail, which the password may neither contain nor resemble."""
    if len(password) < MIN_LENGTH:
        return f"Lösenordet måste ha minst {MIN_LENGTH} tecken."
    if len(password) > MAX_LENGTH:
        return f"Lösenordet får ha högst {MAX_LENGTH} tecken."
    folded = password.casefold()
    words = [word.casefold() for word in personal if word and len(word) >= 3]
    if any(word in folded for word in words):
        return "Lösenordet får inte innehålla ditt användarnamn, namn eller e-postadress."
    if zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=words)["score"] < MIN_SCORE:
        return ("Lösenordet är för lätt att gissa: det finns i listor över läckta eller vanliga "
                "lösenord eller följer ett vanligt mönster. Välj en längre fras av ord som inte "
                "hör ihop.")
    return None
