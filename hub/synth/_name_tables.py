"""Name tables for synthetic families: made-up combinations of common names, never real people.

Owner: hub/synth. Last reviewed 2026-11. Each list is ordered from most to least common; the
pickers weight by rank, so a few surnames (García, Hernández) dominate as they do in real
migrant-education rosters, which is what makes blocking and twin pitfalls show up.
"""

from __future__ import annotations

from typing import Final

# Tables are laid out as data, several names a line; the formatter would put one a line.
# fmt: off
HISPANIC_MALE: Final = (
    "José", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Francisco", "Antonio", "Alejandro",
    "Jorge", "Eduardo", "Roberto", "Ángel", "Fernando", "Ricardo", "Daniel", "David", "Javier",
    "Manuel", "Guillermo", "Ignacio", "Rafael", "Pedro", "Sergio", "Raúl", "Óscar", "Héctor",
    "Adrián", "Andrés", "Emiliano", "Santiago", "Mateo", "Diego", "Sebastián", "Joaquín",
    "Julián", "Rubén", "Ramón", "Gerardo", "Enrique", "Alberto", "Armando", "Arturo", "Efraín",
    "Ismael", "Josué", "Brayan", "Jonathan", "Érick", "Cristian", "Édgar", "Iván", "Leonardo",
    "Gael", "Benjamín", "Rodrigo",
)
HISPANIC_FEMALE: Final = (
    "María", "Guadalupe", "Ana", "Sofía", "Valentina", "Ximena", "Camila", "Daniela", "Mariana",
    "Lucía", "Isabel", "Verónica", "Araceli", "Yesenia", "Dolores", "Rocío", "Itzel", "Leticia",
    "Mónica", "Beatriz", "Concepción", "Rosario", "Jimena", "Andrea", "Fernanda", "Alejandra",
    "Gabriela", "Paola", "Karla", "Diana", "Brenda", "Yaretzi", "Esmeralda", "Natalia",
    "Victoria", "Regina", "Renata", "Abigail", "Citlali", "Marisol", "Josefina", "Margarita",
    "Elena", "Cecilia", "Adriana", "Alondra", "Jazmín", "Nayeli", "Angélica", "Perla",
)
# Compound given names are the norm ("María Guadalupe", "José Luis"): the first part is a
# devotional name, the second is what the child answers to, so states disagree on which to key.
HISPANIC_DEVOTIONAL: Final = {"Male": ("José", "Juan", "Luis"), "Female": ("María", "Ana")}

HISPANIC_SURNAMES: Final = (
    "García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez",
    "Ramírez", "Flores", "Cruz", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres",
    "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo", "Romero",
    "Álvarez", "Chávez", "Rivera", "Juárez", "Ramos", "Domínguez", "Méndez", "Medina", "Herrera",
    "Vargas", "Castro", "Guzmán", "Velásquez", "Salazar", "Rojas", "Contreras", "Luna", "Ortega",
    "Estrada", "Guerrero", "Cervantes", "Zúñiga", "Núñez", "Ibarra", "Muñoz", "Valdez", "Soto",
    "Delgado", "Ponce", "Cisneros", "Villanueva", "Cárdenas", "Espinoza", "Trujillo", "Galván",
    "Maldonado", "Sandoval", "Avila", "Bautista", "Tapia", "Orozco", "Gallegos", "Quintero",
    "Ochoa", "Nava", "Arellano", "Camacho", "Zavala", "Benítez", "Olvera", "Guevara",
)
# Surnames with particles and compound surnames: DOMAIN §6 names these as the pitfall that costs
# recall ("de la Cruz" vs "Delacruz" vs "Cruz"). Kept apart so they get a fixed share.
HISPANIC_PARTICLE_SURNAMES: Final = (
    "de la Cruz", "de la Rosa", "de León", "del Río", "de los Santos", "de la Garza",
    "del Ángel", "de Jesús", "de la Torre", "de los Reyes", "del Toro", "de la Fuente",
)
HISPANIC_HYPHENATED_SURNAMES: Final = (
    "Ruiz-Esparza", "García-Luna", "Pérez-Tejada", "Sánchez-Vega", "López-Portillo",
    "Martínez-Soto",
)

ENGLISH_MALE: Final = (
    "James", "John", "Robert", "Michael", "William", "David", "Joseph", "Christopher", "Daniel",
    "Matthew", "Anthony", "Joshua", "Andrew", "Ryan", "Tyler", "Brandon", "Justin", "Austin",
    "Cody", "Dylan", "Logan", "Caleb", "Ethan", "Noah", "Liam", "Mason", "Wyatt", "Hunter",
    "Samuel", "Benjamin", "Nicholas", "Jacob", "Alexander", "Thomas", "Charles",
)
ENGLISH_FEMALE: Final = (
    "Mary", "Jennifer", "Elizabeth", "Jessica", "Ashley", "Amanda", "Sarah", "Emily", "Hannah",
    "Madison", "Abigail", "Emma", "Olivia", "Ava", "Chloe", "Brittany", "Kayla", "Taylor",
    "Savannah", "Hailey", "Katherine", "Margaret", "Rebecca", "Samantha", "Megan", "Lauren",
    "Destiny", "Brianna", "Grace", "Lily",
)
ENGLISH_SURNAMES: Final = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Jackson", "White", "Harris", "Clark", "Lewis",
    "Walker", "Hall", "Allen", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams",
    "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner",
    "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan",
    "Cooper", "Peterson", "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Wood",
    "Watson", "Brooks", "Bennett", "Gray", "Hughes", "Price", "Sanders", "Myers", "Ross",
    "Taylor-Brooks", "Miller-Hayes",
)

# Smaller communities in migrant agriculture and fishing. Haitian given names are often
# hyphenated, which exercises the hyphen-vs-space variation on first names too.
OTHER_ORIGINS: Final = {
    "haitian": {
        "Male": ("Jean", "Jean-Baptiste", "Jacques", "Pierre-Louis", "Wilner", "Dieuvel",
                 "Frantz", "Jean-Robert", "Stevenson", "Woodley"),
        "Female": ("Marie", "Rose-Marie", "Fabiola", "Ketly", "Wideline", "Nadège", "Mirlande",
                   "Marie-Claude", "Guerline", "Stéphanie"),
        "surnames": ("Pierre", "Jean-Louis", "Joseph", "Charles", "Louis", "Désir", "Baptiste",
                     "Toussaint", "Étienne", "Dorvil", "Saint-Fleur", "Jean-Pierre"),
    },
    "hmong": {
        "Male": ("Kou", "Tou", "Chue", "Tong", "Pheng", "Neng", "Xeng", "Fue", "Lue", "Cha"),
        "Female": ("Pa", "Mai", "Nou", "Yer", "Xee", "Bao", "Kia", "Mee", "Ia", "Youa"),
        "surnames": ("Vang", "Xiong", "Yang", "Lee", "Lor", "Thao", "Moua", "Her", "Khang",
                     "Vue", "Chang", "Hang"),
    },
    "filipino": {
        "Male": ("Rodelio", "Jericho", "Arnel", "Marlon", "Jomar", "Rey", "Christian",
                 "Mark Anthony", "Jun", "Ronaldo"),
        "Female": ("Maricel", "Rowena", "Jovelyn", "Analyn", "Rhea", "Kristine", "Lovely",
                   "Mary Joy", "Jonalyn", "Marites"),
        "surnames": ("Santos", "Reyes", "Dela Cruz", "Bautista", "Villanueva", "Aquino",
                     "Mendoza", "Pascual", "Manalo", "Garcia", "Ramos", "Castillo"),
    },
    "vietnamese": {
        "Male": ("Minh", "Tuan", "Quang", "Thanh", "Hung", "Duc", "Khoa", "Long", "Phuc", "Bao"),
        "Female": ("Linh", "Huong", "Anh", "Ngoc", "Phuong", "Trang", "Thuy", "Lan", "Mai",
                   "Hoa"),
        "surnames": ("Nguyen", "Tran", "Le", "Pham", "Huynh", "Vo", "Dang", "Bui", "Do", "Ho",
                     "Ngo", "Duong"),
    },
    "somali": {
        "Male": ("Abdi", "Mohamed", "Hamza", "Yusuf", "Abdirahman", "Ahmed", "Hassan", "Omar",
                 "Ismail", "Abdullahi"),
        "Female": ("Hodan", "Fadumo", "Ayaan", "Sahra", "Ifrah", "Hibaaq", "Nimco", "Amina",
                   "Ubah", "Khadra"),
        "surnames": ("Abdullahi", "Hassan", "Warsame", "Ali", "Farah", "Osman", "Jama",
                     "Mohamud", "Aden", "Hussein", "Ibrahim", "Nur"),
    },
}

# Given name → the short forms a school may record instead (DOMAIN §6 Spanish table first).
NICKNAMES: Final = {
    "José": ("Pepe",),
    "Francisco": ("Paco", "Pancho"),
    "Guadalupe": ("Lupe",),
    "Ignacio": ("Nacho",),
    "Jesús": ("Chuy",),
    "Guillermo": ("Memo",),
    "Eduardo": ("Lalo",),
    "Roberto": ("Beto",),
    "Alberto": ("Beto",),
    "Alejandro": ("Alex",),
    "Enrique": ("Kike",),
    "Manuel": ("Manny",),
    "Dolores": ("Lola",),
    "Concepción": ("Concha",),
    "Rosario": ("Chayo",),
    "Josefina": ("Josie",),
    "Margarita": ("Maggie",),
    "Ramón": ("Moncho",),
    "Rafael": ("Rafa",),
    "Santiago": ("Santi",),
    "William": ("Will", "Billy"),
    "Robert": ("Bobby", "Rob"),
    "Elizabeth": ("Liz", "Beth"),
    "Katherine": ("Katie", "Kate"),
    "Michael": ("Mike",),
    "James": ("Jimmy", "Jim"),
    "Christopher": ("Chris",),
    "Jennifer": ("Jenny",),
    "Joseph": ("Joe",),
    "Daniel": ("Danny",),
    "Anthony": ("Tony",),
    "Samuel": ("Sam",),
    "Alexander": ("Alex",),
    "Benjamin": ("Ben",),
    "Nicholas": ("Nick",),
    "Matthew": ("Matt",),
    "Abigail": ("Abby",),
    "Margaret": ("Maggie", "Peggy"),
    "Samantha": ("Sam",),
    "Rebecca": ("Becky",),
    "Abdirahman": ("Abdi",),
    "Jean-Baptiste": ("JB",),
}

# Country of birth and former home for families who arrive from abroad (ISO 3166-1 alpha-3).
ORIGIN_ABROAD: Final = {
    "hispanic": (
        ("Oaxaca de Juárez", "MEX"), ("Morelia", "MEX"), ("Zamora", "MEX"), ("Guadalajara", "MEX"),
        ("Reynosa", "MEX"), ("Matamoros", "MEX"), ("Celaya", "MEX"), ("Zacatecas", "MEX"),
        ("Huehuetenango", "GTM"), ("Quetzaltenango", "GTM"), ("San Pedro Sula", "HND"),
    ),
    "haitian": (("Port-au-Prince", "HTI"), ("Les Cayes", "HTI"), ("Gonaïves", "HTI")),
    "filipino": (("Iloilo City", "PHL"), ("Cebu City", "PHL"), ("Manila", "PHL")),
    "vietnamese": (("Hai Phong", "VNM"), ("Vung Tau", "VNM")),
    "somali": (("Mogadishu", "SOM"), ("Kismayo", "SOM")),
    "hmong": (),
    "english": (),
}
# fmt: on
