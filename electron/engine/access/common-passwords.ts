/**
 * Passwords too common to allow, whatever their length: the head of the public "most common
 * passwords" lists (SecLists 10-million-password-list top entries, NCSC PwnedPasswords top
 * 100k), kept to those that could pass the length rule or become one with a suffix. Checked
 * case-insensitively, also with trailing digits and symbols removed.
 */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  `123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123 baseball abc123
football monkey letmein 696969 shadow master 666666 qwertyuiop 123321 mustang 1234567890 michael 654321
superman 1qaz2wsx 7777777 121212 000000 qazwsx 123qwe killer trustno1 jordan jennifer zxcvbnm asdfgh hunter
buster soccer harley batman andrew tigger sunshine iloveyou 2000 charlie robert thomas hockey ranger daniel
starwars klaster 112233 george computer michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom
777777 pass maggie 159753 aaaaaa ginger princess joshua cheese amanda summer love ashley nicole chelsea
biteme matthew access yankees 987654321 dallas austin thunder taylor matrix minecraft welcome welcome1
passw0rd password1 password123 password1234 qwerty123 qwerty1234 iloveyou1 admin admin123 administrator
letmein1 changeme changeme123 secret secret123 default guest root toor login abc12345 qwertyuiop123
1q2w3e4r 1q2w3e4r5t 1q2w3e 1qaz2wsx3edc zaq12wsx zaq1zaq1 q1w2e3r4 q1w2e3r4t5 asdfghjkl asdf1234 asdfasdf
qweasdzxc 123abc abcdef abcdefg abcdefgh abcd1234 football1 baseball1 monkey1 dragon1 sunshine1 princess1
superman1 batman1 trustno1 whatever hello hello123 hellohello welcome123 letmein123 master123 shadow1
michael1 charlie1 jordan23 loveme lovely flower passport healthcare hospital doctor nurse medical patient
clinic practice athena athenahealth epic cerner summer2024 winter2024 spring2024 autumn2024 summer2025
winter2025 spring2025 fall2025 summer2026 winter2026 spring2026 fall2026 january february march april may
june july august september october november december monday tuesday friday sunday company company123
p@ssw0rd p@ssword pa55word pa$$word passwort motdepasse contraseña senha parola wachtwoord
correcthorsebatterystaple thequickbrownfox iloveyoutoo 11111111111 123456789012 1234567891011 00000000
0000000000 999999999 88888888 12341234 11223344 123454321 1122334455 147258369 741852963 963852741
qwertyui qwertzuiop azertyuiop zxcvbnm123 mnbvcxz poiuytrewq`
    .split(/\s+/)
    .filter(Boolean),
)
